"""The JSON API, version 1 (/api/v1/): token authentication, the same permissions and services as
the pages, and an OpenAPI 3.1 description (`openapi.py`). Personal tokens are managed by their
owners on /account/tokens (`tokens.py`)."""
