"""ansible-test integration under the secrets audit, in lanes side by side (`make integration`, `make test-platforms`).

Each lane (tests/utils/lanes.py) runs tests/utils/secrets_audit.py from a staged copy of the collection of its own:
the audit writes its integration config there and starts a simulator of its own (the targets reset its account), and
ansible-test keeps its output there. A lane's files are in build/lanes/<lane>/: lane.log (what it printed, also shown
on stdout after its name in brackets), audit.log (the -vvv output the audit scanned, 0600: it may hold a leak) and
the simulator's work directory. Measured on this 2-core machine: a Debian release's run mostly waits on packages,
daemons and ssh (1.07 times as long beside the other as alone); the integration targets are CPU-bound (about 1.4
times as long), and two lanes still finish them in 651 s instead of 877 s one after the other.

integration: the targets named, in one lane; or every target in two lanes, --second-lane naming the targets of the
second: the first runs all the others, so that no target is ever left out (without --second-lane, one lane).
platforms: the smtp_relay_platforms target once per Debian release, a lane each. The releases' roots share this
host's network namespace: sshd and the test relays take free ports, and exim4's daemon, which must listen on port
25, gets 127.0.0.<25 + the release's place in --releases> (smtp_relay_platforms_slot).
"""

import argparse
import os
import sys
import time

from lanes import Lane, run_side_by_side, summarize

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class AuditLane(Lane):
    """A secrets audit (its arguments) from a staged copy of the collection, under build/lanes/<name>/."""

    def __init__(self, name, title, audit_args, python):
        self.root = os.path.join(REPO, 'build', 'lanes', name)
        super().__init__(name, title, os.path.join(self.root, 'lane.log'))
        self.collections = os.path.join(self.root, 'collections')
        self.audit = [sys.executable, os.path.join('tests', 'utils', 'secrets_audit.py'), '--python', python,
                      '--workdir', os.path.join(self.root, 'simulator'), '--log', os.path.join(self.root, 'audit.log')]
        self.audit += audit_args

    def steps(self):
        """Stage the collection, then run the audit in it."""
        staged = os.path.join(self.collections, 'ansible_collections', 'sendclean', 'mta')
        stage = [sys.executable, os.path.join('tests', 'utils', 'stage_collection.py'), '--dest', self.collections]
        return (
            ('stage', lambda: self.run(stage, cwd=REPO)),
            ('secrets audit', lambda: self.run(self.audit, cwd=staged,
                                               env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections))),
        )


def integration_lanes(args):
    """The lanes of `make integration`."""
    destructive = ['--allow-destructive'] if args.allow_destructive else []
    if args.targets or not args.second_lane:
        return [AuditLane('integration', 'integration %s' % (' '.join(args.targets) or 'of every target'),
                          destructive + args.targets, args.python)]
    excluded = [option for target in args.second_lane for option in ('--exclude', target)]
    return [AuditLane('integration-a', 'integration: every target but %s' % ', '.join(args.second_lane),
                      destructive + excluded, args.python),
            AuditLane('integration-b', 'integration: %s' % ', '.join(args.second_lane),
                      destructive + args.second_lane, args.python)]


def platform_lanes(args):
    """The lanes of `make test-platforms`."""
    return [AuditLane(release, 'Debian %s' % release,
                      ['--allow-destructive', '--allow-disabled',
                       '--var', 'smtp_relay_platforms_dir=%s' % args.platforms_dir,
                       '--var', 'smtp_relay_platforms_releases=%s' % release,
                       '--var', 'smtp_relay_platforms_slot=%d' % slot, 'smtp_relay_platforms'], args.python)
            for slot, release in enumerate(args.releases.split())]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--python', default='3.11', help='the Python version ansible-test runs the targets with')
    commands = parser.add_subparsers(dest='command', required=True)
    integration = commands.add_parser('integration', help='the integration targets (make integration)')
    integration.set_defaults(lanes=integration_lanes)
    integration.add_argument('--allow-destructive', action='store_true', help='also run targets that change the host')
    integration.add_argument('--second-lane', type=str.split, default=[], metavar='TARGETS',
                             help='the targets of the second lane (separated by spaces), when no target is named')
    integration.add_argument('targets', nargs='*', help='run only these targets, in one lane')
    platforms = commands.add_parser('platforms', help='smtp_relay_platforms, a lane per release (make test-platforms)')
    platforms.set_defaults(lanes=platform_lanes)
    platforms.add_argument('--releases', required=True, help='the Debian releases, separated by spaces')
    platforms.add_argument('--platforms-dir', required=True, help="where the releases' bases and roots are kept")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the lanes side by side; print one line per lane; exit 1 if one failed."""
    args = parse_args(argv)
    started = time.monotonic()
    lanes = args.lanes(args)
    run_side_by_side(lanes, AuditLane.steps)
    return 1 if summarize(args.command, lanes, started) else 0


if __name__ == '__main__':
    sys.exit(main())
