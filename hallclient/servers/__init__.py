"""The two servers: platform_sim (reference provincial platform) and, later, the hall server.

An optional extra (``pip install hallclient[servers]``); never imported by ui/.
"""
