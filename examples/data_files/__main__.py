"""Uses packages that read their own data files: certifi's CA bundle, pyfiglet's
fonts and docutils' HTML writer templates and stylesheets."""
import os

import certifi
import pyfiglet
from docutils.core import publish_string

DOC = """
Frozen data files
=================

*certifi*, **pyfiglet** and ``docutils`` all read files that ship inside their packages.
"""


def main():
    with open(certifi.where(), "rb") as f:
        pem = f.read()
    print("certifi bundle: %d certificates, exists=%s" % (pem.count(b"BEGIN CERTIFICATE"), os.path.exists(certifi.where())))
    print(pyfiglet.figlet_format("freeze", font="slant"), end="")
    html = publish_string(DOC, writer_name="html5", settings_overrides={"embed_stylesheet": True, "_disable_config": True})
    print("docutils html: %d bytes, stylesheet embedded=%s" % (len(html), b"<style" in html))
    print(html.decode().split("<h1", 1)[1].split("</h1>", 1)[0].split(">", 1)[1])


if __name__ == "__main__":
    main()
