import argparse
import csv

import yaml


def read_params(config_path: str) -> dict:
    with open(config_path) as f:
        return yaml.safe_load(f)


def get_data(config_path: str) -> list[list[str]]:
    config = read_params(config_path)
    with open(config["data_source"]["given"], newline="") as f:
        return list(csv.reader(f, delimiter=";"))


if __name__ == "__main__":
    args = argparse.ArgumentParser()
    args.add_argument("--config", default="params.yaml")
    print(len(get_data(config_path=args.parse_args().config)))
