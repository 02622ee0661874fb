"""Conformance scripts: the language of suites/README.md, how responses are judged, the runner.

The language:
``model``     Script, Header, steps (Send, Expect, Open, ...) and expectation nodes,
              each carrying its file:line.
``parser``    script files -> Script (``parse_script``, ``parse_file``, ``load_suite``);
              ``header``, ``lines`` and ``body`` are its stages, ``template`` the
              ``${...}`` language inside C:/S: text.
``response``  the Response unit the runner decodes from the server's bytes.
``matcher``   ``match_expectation``: a group of S: lines against responses ->
              matched / mismatch / need more, with captures (``patterns`` builds
              the per-line regular expressions).

The runner:
``decoders``, ``pop3_decoder``  server bytes -> Responses, framed by the protocol cores.
``session``   one connection: socket, TLS, decoder, transcript.
``dialogue``  the harness's own commands; ``setup`` brings sessions to their start state.
``mailbox``   cleaning and seeding the accounts of a case; ``pool`` leases accounts.
``capabilities``  what each service advertises per stage; ``requires`` gating.
``steps``     executing a script's steps; ``runner`` one verdict per case, cases in parallel.
``campaign``  a whole run -> Report; ``reference`` opens ``--target``; ``selection``
              collects scripts and applies ``-k``; ``progress`` shows a run as it goes.
``pytest_plugin``  ``pytest -p harness.conformance.pytest_plugin suites/``.
"""
