"""Banner plugins: each renders a title; the app finds them by entry point."""


def main():
    from pkgres_demo.banners import shout

    print(shout("pkgres-demo"))
