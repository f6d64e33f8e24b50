import pyfiglet


def slant(text):
    return pyfiglet.figlet_format(text, font="slant")


def shout(text):
    return text.upper() + "!\n"
