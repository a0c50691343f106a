#!/usr/bin/env python3
"""The status page as a person sees it, in headless Chromium driven through ChromeDriver.

A real daemon runs three Python plugins against `sgeventd sim`: one that works, one whose callback
raises (deactivated), one an operator disabled through the admin API. The test loads the page, reads
what a person would read for each, expands the traceback, clicks Disable and watches the row change
without a page reload, checks the phone layout, and saves screenshots as artifacts.

Speaks the W3C WebDriver protocol with urllib, so it needs only Debian's chromium and chromium-driver.
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

WAIT_SECONDS = 40


def fail(message):
    raise AssertionError(message)


def wait_for(what, predicate, timeout=WAIT_SECONDS, interval=0.1):
    """Polls `predicate` until it returns something truthy, which it returns; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # a page still loading, a daemon not yet listening
            last_error = e
        time.sleep(interval)
    fail("timed out waiting for %s (last error: %r)" % (what, last_error))


def http_json(url, method="GET", body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class LineReader:
    """Collects a child's output lines on a thread so a wait never blocks on a silent pipe."""

    def __init__(self, stream, copy_to):
        self.lines = []
        self._lock = threading.Lock()
        self._copy = open(copy_to, "w")
        threading.Thread(target=self._run, args=(stream,), daemon=True).start()

    def _run(self, stream):
        for raw in stream:
            line = raw.decode(errors="replace")
            self._copy.write(line)
            self._copy.flush()
            with self._lock:
                self.lines.append(line)

    def find(self, pattern):
        with self._lock:
            for line in self.lines:
                match = re.search(pattern, line)
                if match:
                    return match
        return None


def start(argv, log_path, env=None):
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    return process, LineReader(process.stdout, log_path)


def stop(process, timeout=15):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


GOOD_PLUGIN = """
import os
def registerCallbacks(reg):
    reg.registerCallback('sgeventd', 'sim-key', record, None, os.environ['SEEN_FILE'])
def record(sg, logger, event, out):
    with open(out, 'a') as f:
        f.write('%d\\n' % event['id'])
"""

FAILING_PLUGIN = """
def registerCallbacks(reg):
    reg.registerCallback('sgeventd', 'sim-key', publish, None, None)
def publish(sg, logger, event, args):
    farm = 'render-farm-07'
    raise RuntimeError('cannot reach %s for event %d' % (farm, event['id']))
"""

QUIET_PLUGIN = """
def registerCallbacks(reg):
    reg.registerCallback('sgeventd', 'sim-key', ignore, None, None)
def ignore(sg, logger, event, args):
    pass
"""


class WebDriver:
    def __init__(self, chromedriver, log_path):
        self.process, self.output = start([chromedriver, "--port=0"], log_path)
        match = wait_for("chromedriver's port",
                         lambda: self.output.find(r"was started successfully on port (\d+)"))
        self.base = "http://127.0.0.1:%s" % match.group(1)
        options = {"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=1280,720"]}
        if os.path.exists("/usr/bin/chromium"):
            options["binary"] = "/usr/bin/chromium"
        status, reply = http_json(self.base + "/session", "POST",
                                  {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})
        if status != 200:
            fail("chromedriver refused a session: %s" % reply)
        self.session = self.base + "/session/" + reply["value"]["sessionId"]

    def call(self, method, path, body=None):
        status, reply = http_json(self.session + path, method, body if body is not None else
                                  ({} if method == "POST" else None))
        if status != 200:
            fail("WebDriver %s %s: %s" % (method, path, reply))
        return reply["value"]

    def script(self, source, *args):
        return self.call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def find(self, css):
        element = self.call("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(element.values()))

    def click(self, css):
        self.call("POST", "/element/%s/click" % self.find(css))

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", "/screenshot")))

    def close(self):
        try:
            http_json(self.session, "DELETE")
        finally:
            stop(self.process)


ROWS_JS = """
return [...document.querySelectorAll('#plugins tr')].map(row => ({
  name: row.querySelector('.name').textContent,
  state: row.dataset.state,
  label: row.querySelector('.state .label').textContent,
  reason: row.querySelector('.reason').textContent,
  dot: getComputedStyle(row.querySelector('.dot')).backgroundColor,
  lag: row.querySelector('.lag').textContent,
  processed: row.querySelector('.processed').textContent,
  error: row.querySelector('td.error').innerText,
  sparkPoints: (row.querySelector('td.spark polyline') || {getAttribute: () => ''}).getAttribute('points'),
  enableDisabled: row.querySelector('button[data-action=enable]').disabled,
  disableDisabled: row.querySelector('button[data-action=disable]').disabled,
  visible: row.getBoundingClientRect().height > 0,
}));
"""


def rows_by_name(driver):
    return {row["name"]: row for row in driver.script(ROWS_JS)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = parser.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)

    work = tempfile.mkdtemp(prefix="sgeventd-status-page-")
    children = []
    driver = None
    try:
        plugins = os.path.join(work, "plugins")
        os.makedirs(plugins)
        for name, source in (("good_plugin", GOOD_PLUGIN), ("failing_plugin", FAILING_PLUGIN),
                             ("quiet_plugin", QUIET_PLUGIN)):
            with open(os.path.join(plugins, name + ".py"), "w") as f:
                f.write(source)

        sim, sim_out = start([args.binary, "sim", "--port", "0"], os.path.join(work, "sim.log"))
        children.append(sim)
        sim_port = wait_for("the sim's address", lambda: sim_out.find(r"http://127\.0\.0\.1:(\d+)")).group(1)

        config = os.path.join(work, "shotgunEventDaemon.conf")
        with open(config, "w") as f:
            f.write("[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\n"
                    "state_database: state.sqlite\nlogMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\n"
                    "logging: 20\nconn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.2\n"
                    "max_event_batch_size: 50\nbacklog_timeout: 120\nretry_attempts: 1\nshutdown_timeout: 10\n"
                    "[shotgun]\nserver: http://127.0.0.1:%s\nname: sgeventd\nkey: sim-key\n"
                    "use_session_uuid: False\nrequest_timeout: 5\n"
                    "[plugins]\npaths: plugins\n[emails]\nenabled: False\n"
                    "[admin]\nlisten: 127.0.0.1:0\n" % sim_port)
        env = dict(os.environ, SEEN_FILE=os.path.join(work, "seen.txt"))
        daemon, daemon_out = start([args.binary, "-c", config, "foreground"], os.path.join(work, "daemon.log"),
                                   env)
        children.append(daemon)
        admin_port = wait_for(
            "the admin address in the daemon's log",
            lambda: daemon_out.find(r"(?i)(?:admin|status page).*http://127\.0\.0\.1:(\d+)")).group(1)
        admin = "http://127.0.0.1:%s" % admin_port

        def plugin_states():
            status, reply = http_json(admin + "/api/v1/status")
            assert status == 200, reply
            return {p["name"]: p for p in reply["plugins"]}

        # A first start begins after the newest event: the events come once every plugin has its place.
        wait_for("three plugins with a starting place", lambda: len(plugin_states()) == 3)
        status, _ = http_json("http://127.0.0.1:%s/sim/events" % sim_port, "POST", {"count": 20})
        assert status == 200, "the sim did not take events"
        wait_for("the good plugin to process 20 events and the failing one to be deactivated",
                 lambda: (lambda p: p.get("good_plugin", {}).get("processed") == 20 and
                          p.get("failing_plugin", {}).get("state") == "deactivated")(plugin_states()))
        status, reply = http_json(admin + "/api/v1/plugins/quiet_plugin/disable", "POST")
        assert status in (200, 202), "disable answered %s %s" % (status, reply)
        wait_for("quiet_plugin to be disabled", lambda: plugin_states()["quiet_plugin"]["state"] == "disabled")

        driver = WebDriver(args.chromedriver, os.path.join(work, "chromedriver.log"))
        driver.call("POST", "/url", {"url": admin + "/?refresh=500"})
        rows = wait_for("three plugin rows", lambda: (lambda r: r if len(r) == 3 else None)(rows_by_name(driver)))
        title = driver.script("return document.title")
        assert title == "sgeventd", title
        header = driver.script("return document.querySelector('header').innerText")
        assert "127.0.0.1:%s" % sim_port in header, header
        assert re.search(r"head\s+20\b", header), header
        assert "ready" in header, header

        good, failing, quiet = rows["good_plugin"], rows["failing_plugin"], rows["quiet_plugin"]
        assert good["state"] == "active" and good["label"] == "active", good
        assert good["dot"] == "rgb(18, 183, 106)", "active is green: %s" % good["dot"]
        assert good["lag"].startswith("0 events"), good
        assert good["processed"].startswith("20"), good
        assert good["error"].strip() == "none", good
        assert good["enableDisabled"] and not good["disableDisabled"], good
        assert good["sparkPoints"], "a sparkline is drawn for the good plugin: %s" % good

        assert failing["state"] == "deactivated", failing
        assert failing["dot"] == "rgb(217, 45, 32)", "deactivated is red: %s" % failing["dot"]
        assert "RuntimeError: cannot reach render-farm-07" in failing["error"], failing
        assert "Traceback" not in failing["error"], "the traceback starts folded: %s" % failing
        assert not failing["enableDisabled"], failing

        assert quiet["state"] == "disabled" and quiet["dot"] == "rgb(152, 162, 179)", quiet
        assert quiet["disableDisabled"] and not quiet["enableDisabled"], quiet

        driver.click('#plugins tr[data-state=deactivated] details summary')
        traceback = wait_for("the expanded traceback", lambda: driver.script(
            "const p = document.querySelector('#plugins tr[data-state=deactivated] details[open] pre');"
            "return p && p.getBoundingClientRect().height > 0 ? p.innerText : null"))
        assert "Traceback (most recent call last)" in traceback and "publish" in traceback, traceback
        time.sleep(1.2)  # two refreshes: an open traceback stays open
        assert driver.script("return !!document.querySelector('#plugins tr[data-state=deactivated] details[open]')")
        driver.screenshot(os.path.join(args.artifacts, "status-page.png"))

        driver.script("window.notReloaded = true")
        good_row = '#plugins tr[data-state=active] button[data-action=disable]'
        driver.click(good_row)
        wait_for("the good plugin's row to show it disabled", lambda: rows_by_name(driver)["good_plugin"]["state"] ==
                 "disabled")
        assert driver.script("return window.notReloaded === true"), "the page changed without a reload"
        message = driver.script("return document.getElementById('message').textContent")
        assert "disable" in message and "done" in message, message
        assert plugin_states()["good_plugin"]["state"] == "disabled"
        driver.screenshot(os.path.join(args.artifacts, "status-page-after-disable.png"))

        driver.call("POST", "/window/rect", {"width": 390, "height": 844})
        overflow = wait_for("the phone layout", lambda: driver.script(
            "return window.innerWidth < 500 ? [document.documentElement.scrollWidth, window.innerWidth] : null"))
        assert overflow[0] <= overflow[1] + 1, "no sideways scrolling on a phone: %s" % overflow
        phone_rows = rows_by_name(driver)
        assert all(row["visible"] for row in phone_rows.values()), phone_rows
        driver.screenshot(os.path.join(args.artifacts, "status-page-phone.png"))
        print("status page checks passed; screenshots in", args.artifacts)
    except Exception:
        if driver:
            try:
                driver.screenshot(os.path.join(args.artifacts, "status-page-failure.png"))
            except Exception as e:
                sys.stderr.write("no failure screenshot: %r\n" % e)
        for name in ("daemon.log", "sim.log", "chromedriver.log"):
            path = os.path.join(work, name)
            if os.path.exists(path):
                sys.stderr.write("---- %s ----\n%s\n" % (name, open(path, errors="replace").read()[-4000:]))
        raise
    finally:
        if driver:
            driver.close()
        for child in reversed(children):
            stop(child)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
