from hallclient.app import run

run()
