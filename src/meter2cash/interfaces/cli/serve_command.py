"""``m2c serve``: the web console, customer portal and REST API on one address (loopback by default)."""

from __future__ import annotations

import typer

from meter2cash.interfaces.cli.common import console, context
from meter2cash.platform.context import AppContext
from meter2cash.platform.i18n import gettext as _


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
) -> None:
    """网页服务 Serve the staff console (/), the customer portal (/portal) and the API (/api/v1)."""
    run_server(context(), host=host, port=port)


def run_server(ctx: AppContext, *, host: str, port: int) -> None:
    """Serve the web application on ``host:port`` until interrupted."""
    import uvicorn

    from meter2cash.interfaces.web.app import create_app

    app = create_app(ctx)
    console.print(
        _("Meter2Cash at http://{host}:{port}/ (portal /portal/, API /api/v1); Ctrl+C stops it.").format(
            host=host, port=port
        ),
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
