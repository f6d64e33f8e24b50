# click: a command group with options/arguments/choices, run through the
# CliRunner and directly (standalone_mode), help text, shell completion.
import click
from click.testing import CliRunner

@click.group()
@click.option("--verbose", "-v", count=True)
@click.pass_context
def cli(ctx, verbose):
    ctx.obj = {"v": verbose}

@cli.command()
@click.argument("name")
@click.option("--count", default=1, type=click.IntRange(1, 5))
@click.option("--color", type=click.Choice(["red", "blue"]), default="red")
@click.pass_obj
def hello(obj, name, count, color):
    """Say hello."""
    for _ in range(count):
        click.echo("hello %s (%s, v=%d)" % (name, color, obj["v"]))

@cli.command()
@click.option("--flag/--no-flag", default=False)
@click.argument("files", nargs=-1, type=click.Path())
def ls(flag, files):
    click.echo("flag=%s files=%s" % (flag, list(files)))

r = CliRunner()
for args in (["-vv", "hello", "bob", "--count", "2", "--color", "blue"],
             ["hello", "x", "--count", "9"], ["ls", "--flag", "a", "b"], ["--help"],
             ["hello", "--help"]):
    res = r.invoke(cli, args, prog_name="tool")
    print(args, res.exit_code)
    print(res.output)
print(click.style("warn", fg="yellow", bold=True).encode())
print(click.unstyle(click.style("x", fg="red")))
try:
    cli.main(["hello"], prog_name="tool", standalone_mode=False)
except click.UsageError as e:
    print("usage error:", e.format_message())
