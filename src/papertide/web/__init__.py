"""The web app: server-rendered pages with JSON twins, the JSON API, accounts and moderation.

Other packages add pages with `papertide.web.render.render_page(request, "x.html", {...})`,
extending `base.html` (blocks: title, head, content); see docs/web.md.
"""
