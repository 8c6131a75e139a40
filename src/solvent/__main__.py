from solvent.cli import main

if __name__ == "__main__":  # worker processes spawned by Dask import this module again
    main()
