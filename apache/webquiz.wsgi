# The mod_wsgi entry script: Apache loads this file and serves the object named
# `application`. It only builds that object, as mod_wsgi's security guide advises; all
# the code lives in the installed webquiz package.
#
# The handlers folder: the pack's pages unless `SetEnv WEBQUIZ_HANDLERS /your/folder` in
# the Apache config (or `mod_wsgi-express start-server ... --setenv WEBQUIZ_HANDLERS DIR`)
# names another. mod_wsgi passes SetEnv values with each request, not in os.environ, so
# make_wsgi_app() looks the folder up per request and builds its app once.
#
# Try it without touching the system's Apache (needs `pip install 'webquiz[apache]'`):
#     mod_wsgi-express start-server apache/webquiz.wsgi
# then open http://localhost:8000/

from webquiz.gateways import make_wsgi_app

application = make_wsgi_app()
