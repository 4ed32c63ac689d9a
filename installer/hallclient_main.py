"""Entry point of the frozen app (the installers' ``hallclient`` executable)."""

from hallclient.app import run

if __name__ == "__main__":
    run()
