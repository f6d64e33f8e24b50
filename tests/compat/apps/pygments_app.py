# Pygments: lexers/formatters/styles looked up by name (plugin registry),
# highlight to HTML, terminal and LaTeX.
from pygments import highlight
from pygments.lexers import get_lexer_by_name, guess_lexer_for_filename, get_all_lexers
from pygments.formatters import get_formatter_by_name, HtmlFormatter
from pygments.styles import get_style_by_name, get_all_styles
code = 'def f(x):\n    """doc"""\n    return x + 1  # c\n'
for lang in ["python", "rust", "json", "bash", "sql"]:
    lx = get_lexer_by_name(lang)
    print(lang, lx.name, len(list(lx.get_tokens(code))))
print(highlight(code, get_lexer_by_name("python"), HtmlFormatter(style="monokai")))
print(repr(highlight(code, get_lexer_by_name("python"), get_formatter_by_name("terminal256"))))
print(guess_lexer_for_filename("x.rs", "fn main() {}").name)
print(len(list(get_all_lexers())) > 300, "monokai" in list(get_all_styles()))
print(get_style_by_name("default").background_color)
print(HtmlFormatter().get_style_defs(".hl").splitlines()[0])
