# markdown-it-py: CommonMark/GFM rendering, token stream, plugins by preset.
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
src = "# Title\n\nSome *emph* and **strong**, `code`, ~~gone~~.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```py\nx = 1\n```\n\n> quote\n\n1. one\n2. two\n"
print(md.render(src))
print([t.type for t in md.parse(src)][:12])
print(MarkdownIt("gfm-like").render("www.example.com and https://x.org") if False else MarkdownIt("zero").enable("emphasis").render("*a* **b**"))
from markdown_it.tree import SyntaxTreeNode
tree = SyntaxTreeNode(md.parse("- a\n- b\n"))
print(tree.pretty(indent=2))
