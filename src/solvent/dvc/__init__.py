"""Reading a DVC project as it is: DVC's md5s, ``dvc.lock`` entries, ``.dvc`` pointer files, a
DVC cache or remote, and ``.dvc/config``; so a DVC project becomes a Solvent project without
rerunning a stage or re-adding a file."""
