# typer: an app with commands, options, enums, run through CliRunner
# (click underneath), help rendering with rich.
import enum
from typing import Optional
import typer
from typer.testing import CliRunner
app = typer.Typer(add_completion=False)
class Color(str, enum.Enum):
    red = "red"
    blue = "blue"
@app.command()
def hello(name: str, count: int = typer.Option(1, min=1, max=3), color: Color = Color.red, shout: bool = False):
    """Say hello."""
    for _ in range(count):
        msg = "hello %s in %s" % (name, color.value)
        typer.echo(msg.upper() if shout else msg)
@app.command()
def bye(names: Optional[list[str]] = typer.Argument(None)):
    typer.echo("bye " + ",".join(names or []))
r = CliRunner()
for args in (["hello", "ann", "--count", "2", "--color", "blue"], ["hello", "b", "--shout"],
             ["hello", "c", "--count", "5"], ["bye", "x", "y"], ["--help"]):
    res = r.invoke(app, args, env={"COLUMNS": "80", "TERM": "dumb"})
    print(args, res.exit_code)
    print(res.output)
