# rich: tables, syntax highlighting (pygments), markdown, tracebacks,
# progress, pretty-printing rendered to a fixed-width recording console.
from rich.console import Console
from rich.table import Table
from rich.syntax import Syntax
from rich.markdown import Markdown
from rich.panel import Panel
from rich.tree import Tree
from rich.pretty import Pretty
from rich.progress import Progress, BarColumn, TextColumn
from rich import box
import io
out = io.StringIO()
c = Console(file=out, record=True, width=70, force_terminal=True, color_system="truecolor")
t = Table(title="Packages", box=box.ROUNDED)
t.add_column("name", style="cyan"); t.add_column("rank", justify="right")
for n, r in [("boto3", 1), ("rich", 46), ("émoji ✓", 3)]:
    t.add_row(n, str(r))
c.print(t)
c.print(Syntax("def f(x):\n    return x * 2\n", "python", theme="monokai", line_numbers=True))
c.print(Markdown("# Title\n\n* item **bold**\n* `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
c.print(Panel("inside :smile:", title="panel"))
tree = Tree("root"); tree.add("child").add("leaf")
c.print(tree, Pretty({"a": [1, 2, {"b": None}]}))
with Progress(TextColumn("{task.description}"), BarColumn(), console=c, auto_refresh=False) as p:
    task = p.add_task("work", total=4)
    for _ in range(4):
        p.advance(task)
    p.refresh()
# The traceback goes to a console of its own: its first frame line holds the
# script's path (a different length frozen), which is left out.
tb = Console(file=io.StringIO(), record=True, width=100, force_terminal=True)
try:
    1 / 0
except ZeroDivisionError:
    tb.print_exception(max_frames=1)
print("\n".join(l for l in tb.export_text().splitlines() if "rich_app.py" not in l and "<module>" not in l))
text = c.export_text()
import re
norm = lambda s: re.sub(r"/\S*?rich_app\.py", "rich_app.py", s)
print(norm(text))
print(len(out.getvalue()) > 1000)
print(len(c.export_html()) > 1000)
