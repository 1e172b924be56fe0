"""`litradar web`: the maintainer's page (search, the week's review, the pull request,
charts), served by FastAPI on uvicorn. `create_app` builds it; see `app` and `security`."""
