"""What a web server runs, read from one HTTP response: headers, cookies, HTML.

Evidence is always what was seen ("Server: Apache/2.2.15"), so a person can check it.
Versions are reported only where the response shows them. ``end_of_life`` judges a
detected version against a small table of releases that no longer get security fixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from jobs.net.http import HttpResponse

VERSION = r"(\d+(?:\.\d+){0,3})"


@dataclass
class Technology:
    name: str
    version: str | None
    category: str
    evidence: str

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "category": self.category,
                "evidence": self.evidence}  # fmt: skip


# Server / X-Powered-By product tokens: token (lower-case) -> (name, category).
PRODUCTS: dict[str, tuple[str, str]] = {
    "apache": ("Apache HTTP Server", "web-server"),
    "nginx": ("nginx", "web-server"),
    "openresty": ("OpenResty", "web-server"),
    "microsoft-iis": ("Microsoft IIS", "web-server"),
    "litespeed": ("LiteSpeed", "web-server"),
    "lighttpd": ("lighttpd", "web-server"),
    "caddy": ("Caddy", "web-server"),
    "gunicorn": ("Gunicorn", "web-server"),
    "uvicorn": ("Uvicorn", "web-server"),
    "werkzeug": ("Werkzeug", "web-framework"),
    "kestrel": ("Kestrel", "web-server"),
    "jetty": ("Jetty", "web-server"),
    "apache-coyote": ("Apache Tomcat", "web-server"),
    "envoy": ("Envoy", "proxy"),
    "varnish": ("Varnish", "cache"),
    "cloudflare": ("Cloudflare", "cdn"),
    "amazons3": ("Amazon S3", "hosting"),
    "github.com": ("GitHub Pages", "hosting"),
    "php": ("PHP", "programming-language"),
    "python": ("Python", "programming-language"),
    "openssl": ("OpenSSL", "library"),
    "mod_ssl": ("mod_ssl", "web-server-module"),
    "express": ("Express", "web-framework"),
    "asp.net": ("ASP.NET", "web-framework"),
    "next.js": ("Next.js", "web-framework"),
    "servlet": ("Java Servlet", "web-framework"),
    "jsp": ("JavaServer Pages", "web-framework"),
    "plesk": ("Plesk", "control-panel"),
}
OS_HINTS = {"centos": "CentOS", "ubuntu": "Ubuntu", "debian": "Debian", "red hat": "Red Hat",
            "win64": "Windows", "win32": "Windows", "unix": "Unix", "fedora": "Fedora"}  # fmt: skip

# Headers whose presence alone names something: header -> (name, category).
HEADER_MARKERS: dict[str, tuple[str, str]] = {
    "cf-ray": ("Cloudflare", "cdn"),
    "x-amz-cf-id": ("Amazon CloudFront", "cdn"),
    "x-fastly-request-id": ("Fastly", "cdn"),
    "x-vercel-id": ("Vercel", "hosting"),
    "x-nf-request-id": ("Netlify", "hosting"),
    "x-github-request-id": ("GitHub Pages", "hosting"),
    "x-drupal-cache": ("Drupal", "cms"),
    "x-drupal-dynamic-cache": ("Drupal", "cms"),
    "x-shopify-stage": ("Shopify", "ecommerce"),
    "x-wix-request-id": ("Wix", "cms"),
    "x-varnish": ("Varnish", "cache"),
}

# Cookie name (regex, case-insensitive) -> (name, category).
COOKIES: list[tuple[str, str, str]] = [
    (r"^phpsessid$", "PHP", "programming-language"),
    (r"^jsessionid$", "Java", "programming-language"),
    (r"^(asp\.net_sessionid|aspsessionid\w*)$", "ASP.NET", "web-framework"),
    (r"^laravel_session$", "Laravel", "web-framework"),
    (r"^(_rails\w*|_session_id)$", "Ruby on Rails", "web-framework"),
    (r"^(wordpress_\w*|wp-settings-\w*|wordpress_logged_in\w*)$", "WordPress", "cms"),
    (r"^ci_session$", "CodeIgniter", "web-framework"),
    (r"^connect\.sid$", "Express", "web-framework"),
    (r"^cakephp$", "CakePHP", "web-framework"),
    (r"^csrftoken$", "Django", "web-framework"),
    (r"^(__cf_bm|__cfduid|cf_clearance)$", "Cloudflare", "cdn"),
    (r"^_shopify_\w+$", "Shopify", "ecommerce"),
    (r"^awsalb\w*$", "AWS Elastic Load Balancing", "load-balancer"),
]

# Markup and asset paths: (regex on the body, name, category, version group or 0).
HTML_MARKERS: list[tuple[str, str, str, int]] = [
    (r"/wp-(?:content|includes)/", "WordPress", "cms", 0),
    (r"/sites/(?:default|all)/(?:files|modules|themes)/|/misc/drupal\.js", "Drupal", "cms", 0),
    (r"/media/(?:jui|system)/js/|/components/com_\w+", "Joomla", "cms", 0),
    (r"/_next/static/", "Next.js", "web-framework", 0),
    (r"/_nuxt/", "Nuxt.js", "web-framework", 0),
    (r"ng-version=\"" + VERSION, "Angular", "javascript-framework", 1),
    (r"data-reactroot|react(?:-dom)?(?:\.production)?(?:\.min)?\.js", "React",
     "javascript-framework", 0),
    (r"jquery[.-]" + VERSION + r"(?:\.min|\.slim)*\.js", "jQuery", "javascript-library", 1),
    (r"jquery(?:\.min)?\.js\?ver=" + VERSION, "jQuery", "javascript-library", 1),
    (r"bootstrap[.-]" + VERSION + r"(?:\.min)?\.(?:css|js)", "Bootstrap", "ui-framework", 1),
    (r"__VIEWSTATE", "ASP.NET", "web-framework", 0),
    (r"csrfmiddlewaretoken", "Django", "web-framework", 0),
    (r"cdn\.shopify\.com", "Shopify", "ecommerce", 0),
    (r"googletagmanager\.com/gtm\.js", "Google Tag Manager", "analytics", 0),
    (r"google-analytics\.com/(?:analytics|ga)\.js|googletagmanager\.com/gtag/js",
     "Google Analytics", "analytics", 0),
]  # fmt: skip
_GENERATOR = re.compile(
    r"<meta[^>]+name=[\"']generator[\"'][^>]+content=[\"']([^\"']+)[\"']"
    r"|<meta[^>]+content=[\"']([^\"']+)[\"'][^>]+name=[\"']generator[\"']",
    re.IGNORECASE,
)
GENERATOR_NAMES = {"wordpress": ("WordPress", "cms"), "joomla": ("Joomla", "cms"),
                   "drupal": ("Drupal", "cms"), "hugo": ("Hugo", "static-site-generator"),
                   "jekyll": ("Jekyll", "static-site-generator"), "ghost": ("Ghost", "cms"),
                   "typo3": ("TYPO3", "cms"), "mediawiki": ("MediaWiki", "wiki"),
                   "wix.com": ("Wix", "cms"), "squarespace": ("Squarespace", "cms"),
                   "shopify": ("Shopify", "ecommerce"),
                   "gatsby": ("Gatsby", "static-site-generator"),
                   "docusaurus": ("Docusaurus", "static-site-generator")}  # fmt: skip
_TOKEN = re.compile(r"([A-Za-z][\w.\-]*)(?:/([\w.\-]+))?(?:\s*\(([^)]*)\))?")

# Release lines without security fixes. (name, first supported version, note). Dates of
# the ends: Apache 2.2 2017-07; PHP 8.1 2025-12; IIS <10 with Windows Server 2012 R2
# 2023-10; OpenSSL 1.1.1 2023-09; Drupal 9 2023-11; Joomla 3 2023-08; Python 3.9
# 2025-10; nginx 1.20 branch 2022; Tomcat 8.5 2024-03.
END_OF_LIFE: list[tuple[str, tuple[int, ...], str]] = [
    ("Apache HTTP Server", (2, 4), "Apache httpd before 2.4 has been out of support since 2017"),
    ("PHP", (8, 2), "PHP before 8.2 no longer receives security fixes"),
    ("Microsoft IIS", (10,), "IIS before 10 ships with Windows versions out of support"),
    ("OpenSSL", (3, 0), "OpenSSL before 3.0 no longer receives public security fixes"),
    ("Drupal", (10,), "Drupal before 10 is out of support"),
    ("Joomla", (4,), "Joomla before 4 is out of support"),
    ("Python", (3, 10), "Python before 3.10 no longer receives security fixes"),
    ("nginx", (1, 22), "nginx branches before 1.22 no longer receive fixes"),
    ("Apache Tomcat", (9,), "Tomcat before 9 is out of support"),
    ("WordPress", (5,), "WordPress 4.x and older get only sporadic security backports"),
    ("jQuery", (3, 5), "jQuery before 3.5 has known XSS flaws (CVE-2020-11022/11023)"),
]


def detect(response: HttpResponse) -> list[Technology]:
    """Technologies seen in one response, one entry per name (with a version if seen)."""
    found: dict[str, Technology] = {}
    for tech in _all_sightings(response):
        _keep(found, tech)
    return sorted(found.values(), key=lambda t: (t.category, t.name))


def _all_sightings(response: HttpResponse) -> Iterator[Technology]:
    for header in ("server", "x-powered-by"):
        for value in response.header_values(header):
            yield from _product_tokens(header, value)
    yield from _simple_headers(response)
    yield from _cookies(response)
    body = response.text[:500_000]
    yield from _generators(body)
    yield from _markup(body)


def _keep(found: dict[str, Technology], tech: Technology) -> None:
    seen = found.get(tech.name)
    if seen is None:
        found[tech.name] = tech
    elif not seen.version and tech.version:
        tech.evidence = f"{tech.evidence}; {seen.evidence}"
        found[tech.name] = tech


def _product_tokens(header: str, value: str) -> Iterator[Technology]:
    label = "Server" if header == "server" else "X-Powered-By"
    for match in _TOKEN.finditer(value):
        token, version, comment = match.group(1), match.group(2), match.group(3)
        product = PRODUCTS.get(token.lower())
        if product:
            yield Technology(product[0], _version(version), product[1], f"{label}: {value}")
        if comment:
            yield from _os_hint(comment, f"{label}: {value}")


def _os_hint(comment: str, evidence: str) -> Iterator[Technology]:
    for hint, name in OS_HINTS.items():
        if hint in comment.lower():
            yield Technology(name, None, "operating-system", evidence)


def _simple_headers(response: HttpResponse) -> Iterator[Technology]:
    for header, (name, category) in HEADER_MARKERS.items():
        if response.header(header) is not None:
            yield Technology(name, None, category, f"{header}: {response.header(header)}")
    for header, name in (("x-aspnet-version", "ASP.NET"), ("x-aspnetmvc-version", "ASP.NET MVC")):
        value = response.header(header)
        if value:
            yield Technology(name, _version(value), "web-framework", f"{header}: {value}")
    generator = response.header("x-generator")
    if generator:
        yield from _generator(generator, f"X-Generator: {generator}")


def _cookies(response: HttpResponse) -> Iterator[Technology]:
    for cookie in response.header_values("set-cookie"):
        name = cookie.split("=", 1)[0].strip()
        for pattern, tech, category in COOKIES:
            if re.match(pattern, name, re.IGNORECASE):
                yield Technology(tech, None, category, f"cookie {name}")


def _generators(body: str) -> Iterator[Technology]:
    for match in _GENERATOR.finditer(body):
        content = match.group(1) or match.group(2)
        yield from _generator(content, f'<meta name="generator" content="{content}">')


def _generator(content: str, evidence: str) -> Iterator[Technology]:
    lowered = content.lower()
    for key, (name, category) in GENERATOR_NAMES.items():
        if lowered.startswith(key):
            version = re.search(VERSION, content[len(key):])
            yield Technology(name, version.group(1) if version else None, category, evidence)
            return


def _markup(body: str) -> Iterator[Technology]:
    for pattern, name, category, group in HTML_MARKERS:
        match = re.search(pattern, body, re.IGNORECASE)
        if match:
            version = match.group(group) if group else None
            yield Technology(name, version, category, f"page contains {match.group(0)[:80]!r}")


def _version(text: str | None) -> str | None:
    if not text:
        return None
    match = re.match(VERSION, text)
    return match.group(1) if match else None


def end_of_life(tech: Technology) -> str | None:
    """Why this version is past its end of life, or None (also when no version is known)."""
    if not tech.version:
        return None
    version = tuple(int(part) for part in tech.version.split(".") if part.isdigit())
    for name, first_supported, note in END_OF_LIFE:
        if tech.name == name and version < first_supported:
            return note
    return None
