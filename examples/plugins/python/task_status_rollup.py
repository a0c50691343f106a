"""Rolls Task statuses up to their Shot.

When every Task of a Shot is final ("fin", ignoring "na"), the Shot becomes "fin"; when a Task leaves
"fin" while its Shot is "fin", the Shot goes back to "ip".

Credentials: SGEVENTD_EXAMPLE_SCRIPT_NAME / SGEVENTD_EXAMPLE_SCRIPT_KEY (the simulated site's defaults
otherwise).
"""
import os

FINAL = "fin"
IGNORED = ("na",)


def registerCallbacks(reg):
    reg.registerCallback(
        os.environ.get("SGEVENTD_EXAMPLE_SCRIPT_NAME", "sgeventd"),
        os.environ.get("SGEVENTD_EXAMPLE_SCRIPT_KEY", "sim-key"),
        roll_up_task_status,
        {"Shotgun_Task_Change": ["sg_status_list"]},
        None,
    )


def roll_up_task_status(sg, logger, event, args):
    task_link = event.get("entity")
    if not task_link:
        return
    task = sg.find_one("Task", [["id", "is", task_link["id"]]], ["entity"])
    if not task or not task.get("entity") or task["entity"]["type"] != "Shot":
        return
    shot = sg.find_one("Shot", [["id", "is", task["entity"]["id"]]], ["sg_status_list", "code"])
    if shot is None:
        return
    siblings = sg.find("Task", [["entity", "is", shot]], ["sg_status_list"])
    statuses = [t["sg_status_list"] for t in siblings if t["sg_status_list"] not in IGNORED]
    if statuses and all(status == FINAL for status in statuses):
        wanted = FINAL
    elif shot["sg_status_list"] == FINAL:
        wanted = "ip"
    else:
        return
    if shot["sg_status_list"] != wanted:
        sg.update("Shot", shot["id"], {"sg_status_list": wanted})
        logger.info("Shot %s is now %s (tasks: %s)", shot["code"], wanted, statuses)
