"""A closed terminal (SIGHUP, and every later write failing) never stops an operation halfway: the deploy
still protects its stack. Only `kvtable local`, a server in the foreground, stops on a hangup.

The hangup is sent deterministically: the process signals itself at the moment the user's report found
most dangerous, right before the deploy applies termination protection and the stack policy."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from mypy_boto3_cloudformation import CloudFormationClient

from tests.engine.cli.test_closed_pipe import POLL
from tests.paths import REPO_ROOT
from tests.unit.cli.test_closed_pipe import aws_environment

ROOT = REPO_ROOT

# The installed entry, with a hangup armed on the first call that protects a stack; the terminal is gone
# then, so stdout and stderr are pipes whose reader closed before the process started.
WRAPPER = textwrap.dedent(
    """
    import os, signal, sys
    from kvtable.deploy import cloudformation

    protect = cloudformation.protect_stack

    def hang_up_then_protect(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGHUP)
        return protect(*args, **kwargs)

    cloudformation.protect_stack = hang_up_then_protect
    sys.argv = ["kvtable", *sys.argv[1:]]
    from kvtable.cli.main import entry
    sys.exit(entry())
    """
)


def test_a_hangup_before_the_protection_still_leaves_a_protected_stack(
    cf: CloudFormationClient, aws_endpoint: str
) -> None:
    gone_read, gone_write = os.pipe()
    os.close(gone_read)
    try:
        finished = subprocess.run(
            [sys.executable, "-c", WRAPPER, "deploy", "--stack-name", "Hangup", *POLL],
            stdin=subprocess.DEVNULL,
            stdout=gone_write,
            stderr=gone_write,
            env={**aws_environment(aws_endpoint), "PYTHONUNBUFFERED": "1"},
            cwd=ROOT,
            timeout=240,
            check=False,
        )
    finally:
        os.close(gone_write)
    assert finished.returncode == 0
    stack = cf.describe_stacks(StackName="Hangup")["Stacks"][0]
    assert (stack["StackStatus"], stack["EnableTerminationProtection"]) == ("CREATE_COMPLETE", True)
    assert '"Deny"' in cf.get_stack_policy(StackName="Hangup")["StackPolicyBody"]


def test_a_hangup_without_the_guard_would_have_stopped_the_deploy(
    cf: CloudFormationClient, aws_endpoint: str
) -> None:
    # The same run with SIGHUP's default action restored inside the command: the process dies by the
    # signal before protecting anything. This is what the guard prevents, shown on the same engine.
    wrapper = WRAPPER.replace(
        "os.kill(os.getpid(), signal.SIGHUP)",
        "signal.signal(signal.SIGHUP, signal.SIG_DFL); os.kill(os.getpid(), signal.SIGHUP)",
    )
    finished = subprocess.run(
        [sys.executable, "-c", wrapper, "deploy", "--stack-name", "Unguarded", *POLL],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=aws_environment(aws_endpoint),
        cwd=ROOT,
        timeout=240,
        check=False,
    )
    assert finished.returncode == -1
    assert cf.describe_stacks(StackName="Unguarded")["Stacks"][0]["EnableTerminationProtection"] is False
