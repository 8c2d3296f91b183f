#!@PYTHON@
# webquiz as a CGI program, for a folder of web space configured by .htaccess (see the
# htaccess file beside this one). `webquiz apache-config htaccess --write DIR` writes it
# with the first line naming the venv's python, the one webquiz is installed in. Apache
# runs it once per request; it must be executable (chmod 755).
#
# Everything it does is in webquiz.gateways.cgi_main: serve the one request in the
# environment with the handler it names, and exit.

from webquiz.gateways import cgi_main

raise SystemExit(cgi_main())
