"""Where ``o3-governance serve-reports`` listens unless told otherwise. Apart from the server so that the
nightly report can name its download address without importing the web server (uvicorn, Starlette)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
