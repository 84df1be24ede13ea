"""Copy the working tree into build/collections/ansible_collections/sendclean/mta.

ansible-test only runs from a real directory named ansible_collections/<namespace>/<name> (a symlink is
rejected), and a clone can live anywhere, so the tests run on a staged copy. The copy holds the files git
tracks plus the untracked ones it does not ignore, as they are in the working tree, so uncommitted work
is tested too. Whatever the last run left in the staged tree is replaced, except ansible-test's output.
The staged tree is made a git repository of its own: ansible-test lists files through the innermost git
work tree, and the enclosing checkout ignores build/.
"""

import argparse
import os
import shutil
import subprocess

KEEP = ('tests/output', '.git')


def source_files(repo):
    """Paths, relative to repo, of the files git tracks and the untracked ones it does not ignore."""
    listing = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                             cwd=repo, check=True, capture_output=True).stdout.decode()
    return sorted(path for path in listing.split('\0') if path and os.path.isfile(os.path.join(repo, path)))


def clear(dest):
    """Remove everything in dest except the paths in KEEP."""
    for entry in os.listdir(dest):
        path = os.path.join(dest, entry)
        if entry in KEEP:
            continue
        if entry == 'tests':
            for sub in os.listdir(path):
                if os.path.join('tests', sub) not in KEEP:
                    remove(os.path.join(path, sub))
        else:
            remove(path)


def remove(path):
    """Remove a file or a directory tree."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def main():
    """Stage the collection and print the staged path."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repo', default='.', help='the repository to copy')
    parser.add_argument('--dest', default='build/collections', help='the collections path to stage into')
    args = parser.parse_args()

    repo = os.path.abspath(args.repo)
    dest = os.path.join(os.path.abspath(args.dest), 'ansible_collections', 'sendclean', 'mta')
    os.makedirs(dest, exist_ok=True)
    clear(dest)
    for path in source_files(repo):
        target = os.path.join(dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(repo, path), target)
    if not os.path.isdir(os.path.join(dest, '.git')):
        subprocess.run(['git', 'init', '--quiet', dest], check=True)
    print(dest)


if __name__ == '__main__':
    main()
