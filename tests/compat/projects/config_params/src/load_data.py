import argparse
import csv
import os

from get_data import get_data, read_params


def load_and_save(config_path: str) -> None:
    config = read_params(config_path)
    rows = get_data(config_path)
    header = [name.replace(" ", "_") for name in rows[0]]
    path = config["load_data"]["raw_dataset_csv"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows[1:]])


if __name__ == "__main__":
    args = argparse.ArgumentParser()
    args.add_argument("--config", default="params.yaml")
    load_and_save(config_path=args.parse_args().config)
