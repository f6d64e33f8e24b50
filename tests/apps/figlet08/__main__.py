"""pyfiglet rendering with a named font. pyfiglet 0.8 (its last release on
pkg_resources) finds, reads and lists its fonts with resource_exists,
resource_string, resource_stream and resource_listdir."""
import pyfiglet

print(pyfiglet.figlet_format("Hi", font="slant"), end="")
print(len(pyfiglet.FigletFont.getFonts()), "fonts")
