"""Conformance scripts: the language of suites/README.md and how responses are judged.

``model``     Script, Header, steps (Send, Expect, Open, ...) and expectation nodes,
              each carrying its file:line.
``parser``    script files -> Script (``parse_script``, ``parse_file``, ``load_suite``);
              ``header``, ``lines`` and ``body`` are its stages, ``template`` the
              ``${...}`` language inside C:/S: text.
``response``  the Response unit the runner decodes from the server's bytes.
``matcher``   ``match_expectation``: a group of S: lines against responses ->
              matched / mismatch / need more, with captures (``patterns`` builds
              the per-line regular expressions).
"""
