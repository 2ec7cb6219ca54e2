"""The request's language: ``?lang=en`` or ``?lang=zh_CN`` switches and is remembered in a cookie;
Chinese (zh_CN) is the default. Pure ASGI, so the choice reaches sync endpoints in the threadpool."""

from __future__ import annotations

from contextlib import suppress
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meter2cash.platform.i18n import DEFAULT_LANG, LANGUAGES, use_lang

COOKIE = "m2c_lang"


class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        cookies = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                with suppress(Exception):  # a malformed cookie header is ignored
                    cookies.load(value.decode("latin-1"))
        remembered = cookies[COOKIE].value if COOKIE in cookies else None
        lang = next((c for c in (asked, remembered) if c in LANGUAGES), DEFAULT_LANG)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and asked in LANGUAGES:
                headers = list(message.get("headers", []))
                headers.append(
                    (b"set-cookie", f"{COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Strict".encode())
                )
                message["headers"] = headers
            await send(message)

        with use_lang(lang):
            await self.app(scope, receive, send_with_cookie)
