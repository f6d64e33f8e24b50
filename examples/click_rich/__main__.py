"""A click CLI that renders its report with rich (tables, panels, markup)."""
import click
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

PLANETS = [
    ("Mercury", 0.39, 0.055, 0),
    ("Venus", 0.72, 0.815, 0),
    ("Earth", 1.00, 1.000, 1),
    ("Mars", 1.52, 0.107, 2),
    ("Jupiter", 5.20, 317.8, 95),
]


@click.command()
@click.option("--min-moons", type=int, default=0, help="Only planets with at least this many moons.")
@click.option("--width", type=int, default=72, help="Console width.")
@click.argument("title", default="Inner planets and Jupiter")
def main(min_moons, width, title):
    """Print a table of planets."""
    console = Console(width=width, color_system=None, force_terminal=False)
    table = Table(title=title)
    table.add_column("Planet", style="bold")
    table.add_column("Distance (AU)", justify="right")
    table.add_column("Mass (Earths)", justify="right")
    table.add_column("Moons", justify="right")
    for name, au, mass, moons in PLANETS:
        if moons >= min_moons:
            table.add_row(name, f"{au:.2f}", f"{mass:g}", str(moons))
    console.print(table)
    console.print(Panel.fit("[bold]rendered by rich[/bold], parsed by click", title="freeze"))


if __name__ == "__main__":
    main()
