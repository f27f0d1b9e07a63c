"""``cadenza deploy``: create or update the deployments a ``cadenza.yaml`` declares.

The file's format is described in `cadenza.deployments.project`. Each deployment's entrypoint
is loaded to check that it names a flow taking the default parameters; then every deployment
is applied to the record (the server when ``CADENZA_API_URL`` is set). A file or deployment that
does not fit is a one-line error naming the file, the deployment and the field (exit 1).
"""

from __future__ import annotations

import json

import click

from cadenza.cli._common import die


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--all", "every", is_flag=True, help="Deploy every deployment the file declares.")
@click.option("--file", "-f", "path", default="cadenza.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="The project file.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the deployments as JSON.")
def deploy(names: tuple[str, ...], every: bool, path: str, as_json: bool) -> None:
    """Create or update deployments declared in a project file (cadenza.yaml).

    NAME picks a deployment of the file by name (several may be given); --all deploys them
    all. With neither, a file that declares one deployment deploys it.
    """
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.deployments import next_run_time, open_deployments, schedule_summary
    from cadenza.deployments.project import ProjectError, deploy_project

    with open_deployments() as api:
        try:
            applied = deploy_project(path, names, all=every, api=api)
        except ProjectError as exc:
            die(str(exc))
    if as_json:
        click.echo(json.dumps(applied, indent=2, default=str))
        return
    for d in applied:
        schedules = ", ".join(schedule_summary(s) for s in d["schedules"]) or "no schedule"
        click.echo(f"Deployed {d['full_name']} ({d['id']}): {schedules}"
                   + (" [paused]" if d["paused"] else ""))  # fmt: skip
        upcoming = next_run_time(d)
        if upcoming is not None:
            click.echo(f"  Next run: {upcoming.astimezone():%Y-%m-%d %H:%M:%S %Z}")
    if applied:
        click.echo("\nRun one now with:")
        for d in applied:
            click.echo(f"  cadenza deployments run {d['full_name']}")
        pools = sorted({d["work_pool_name"] for d in applied if d.get("work_pool_name")})
        if pools:
            click.echo("Their runs are picked up by a worker of the work pool "
                       + ", ".join(repr(p) for p in pools) + ".")  # fmt: skip
        else:
            click.echo("Runs of a deployment without a work pool are picked up by a process "
                       "serving it (flow.serve).")  # fmt: skip


__all__ = ["deploy"]
