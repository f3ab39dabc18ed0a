#!/usr/bin/python3
"""The desk's local pages (issue 18 §3) in a real browser: Debian's chromium, headless, driven by
python3-selenium through chromium-driver, against `taicho print-station --web` and
`taicho desk --web` that tests/desk_pages_test.cc started (taichod with a jammed print of
dossier --failed, a sealed --waiting dossier behind it, the station's retry an hour away).

Once the queue page has shown the jam, this script creates --jam-seen and waits for the test to
restart the station with no retry delay (same state file): the restarted station's opening URL
comes in --restarted-queue-url-file. A sync point instead of a fixed delay long enough for the
browser to start (the station's timed wait before a retry is print_station_test's).

Checks: without the per-start secret, or with a foreign Host, every page is 403; the queue page
shows the jam as failed with the printer's reason and the other dossier waiting, then both
printed; a reprint without a reason is refused (400) and one with a reason goes through the
station's RequestReprint and comes back printed with the reason; the staff page counts documents
by state, lists the register, downloads the CSV (checked: BOM, header, one row per issued
number), and draws the statistics chart with one bar per procedure and the table's values; an
empty period draws no bar. Screenshots (1366x768) go to --screenshots. Exits non-zero on the
first failed check.
"""
import argparse
import csv
import http.client
import io
import os
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


FAILURE_DUMP = {}  # "driver" and "dir": where a failed check leaves the page it saw


def check(condition, what):
    if not condition:
        print("FAILED: " + what, file=sys.stderr)
        driver = FAILURE_DUMP.get("driver")
        if driver is not None:
            driver.save_screenshot(os.path.join(FAILURE_DUMP["dir"], "failed.png"))
            with open(os.path.join(FAILURE_DUMP["dir"], "failed.html"), "w") as f:
                f.write(driver.page_source)
        sys.exit(1)
    print("ok: " + what)


def browser(download_dir):
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--disable-gpu", "--window-size=1366,768", "--lang=vi",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    options.add_experimental_option("prefs", {
        "download.default_directory": download_dir,
        "download.prompt_for_download": False,
    })
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def request(url, method="GET", headers=None, body=None):
    """(status, body) of one plain HTTP request, no redirects followed."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    path = parts.path + ("?" + parts.query if parts.query else "")
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def without_secret(opening_url):
    parts = urllib.parse.urlsplit(opening_url)
    return f"{parts.scheme}://{parts.netloc}"


def section_rows(driver, section, row_class):
    return driver.find_elements(By.CSS_SELECTOR, f"section#{section} tr.{row_class}")


def row_of(driver, section, row_class, dossier):
    for row in section_rows(driver, section, row_class):
        if row.get_attribute("data-dossier") == dossier:
            return row
    return None


def wait_for(driver, what, condition, seconds=180):
    """Reloads the page until `condition(driver)` holds (the queue page changes as the station
    prints; the page itself refreshes every 10 s, this is only faster)."""
    deadline = time.monotonic() + seconds
    while True:
        if condition(driver):
            check(True, what)
            return
        if time.monotonic() > deadline:
            check(False, what + " (timed out)")
        time.sleep(0.5)
        driver.refresh()


def wait_for_file_line(path, what, seconds=180):
    """The first line of `path` once the test has written it (the test writes it whole, then
    renames it into place)."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            check(False, what + " (timed out)")
        time.sleep(0.1)
    with open(path) as f:
        line = f.readline().strip()
    check(line != "", what)
    return line


def queue_checks(driver, args):
    origin = without_secret(args.queue_url)
    for path in ("/", "/in-lai?name=x", "/trang.css"):
        status, _ = request(origin + path)
        check(status == 403, f"queue page {path} without the secret is 403 (got {status})")
    status, _ = request(args.queue_url, headers={"Host": "evil.example:80"})
    check(status == 403, f"queue page with a foreign Host is 403 (got {status})")

    driver.get(args.queue_url)
    check("khoa=" not in driver.current_url, "the secret leaves the address bar")
    check(driver.find_element(By.TAG_NAME, "h1").text.startswith("Hàng đợi in của quầy"),
          "the queue page opens")
    failed = row_of(driver, "failed", "failed", args.failed)
    check(failed is not None and "Paper jam" in failed.text,
          "the jammed print is failed with the printer's reason")
    retry = row_of(driver, "printing", "retry", args.failed)
    check(retry is not None, "the jammed document waits to be tried again")
    check(row_of(driver, "waiting", "waiting", args.waiting) is not None,
          "the sealed document behind it is waiting")
    driver.save_screenshot(os.path.join(args.screenshots, "1-queue-jam-and-waiting.png"))

    with open(args.jam_seen, "w") as f:
        f.write("seen\n")
    queue_url = wait_for_file_line(args.restarted_queue_url_file, "the restarted station's URL")
    origin = without_secret(queue_url)
    driver.get(queue_url)
    check("khoa=" not in driver.current_url, "the restarted station's page opens")
    wait_for(driver, "both documents end up printed",
             lambda d: row_of(d, "printed", "printed", args.failed) is not None and
             row_of(d, "printed", "printed", args.waiting) is not None)
    check(row_of(driver, "waiting", "waiting", args.waiting) is None, "nothing waits any more")
    check(row_of(driver, "failed", "failed", args.failed) is not None,
          "the failure stays listed with its reason")
    driver.save_screenshot(os.path.join(args.screenshots, "2-queue-printed.png"))

    # Reprint: the link on the printed row leads to the reason form.
    row_of(driver, "printed", "printed", args.waiting).find_element(By.CSS_SELECTOR,
                                                                     "a.button").click()
    WebDriverWait(driver, 30).until(lambda d: "/in-lai" in d.current_url)
    check(driver.find_element(By.ID, "reason").get_attribute("required") is not None,
          "the reason is a required field")
    # The server refuses an empty reason too (a form without the browser's check): posted with
    # the browser's cookie and this site's Origin, so only the reason is wrong.
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    name = driver.find_element(By.NAME, "name").get_attribute("value")
    status, body = request(origin + "/in-lai", "POST", {
        "Cookie": cookie, "Origin": origin, "Content-Type": "application/x-www-form-urlencoded"},
        urllib.parse.urlencode({"name": name, "reason": "  "}))
    check(status == 400 and "Cần ghi lý do in lại" in body,
          f"a reprint without a reason is refused (got {status})")
    status, _ = request(origin + "/in-lai", "POST", {
        "Cookie": cookie, "Origin": "http://127.0.0.1:1", "Content-Type":
        "application/x-www-form-urlencoded"}, urllib.parse.urlencode({"name": name,
                                                                        "reason": "x"}))
    check(status == 403, f"a reprint posted from another origin is 403 (got {status})")
    driver.find_element(By.ID, "reason").send_keys(args.reprint_reason)
    driver.save_screenshot(os.path.join(args.screenshots, "3-reprint-form.png"))
    driver.find_element(By.ID, "reprint").click()
    WebDriverWait(driver, 30).until(lambda d: "in-lai=" in d.current_url)
    check(args.waiting in driver.find_element(By.CSS_SELECTOR, ".banner.ok").text,
          "the reprint was asked for")

    def reprinted(d):
        for row in section_rows(d, "printed", "printed"):
            if row.get_attribute("data-dossier") == args.waiting and \
                    args.reprint_reason in row.text:
                return True
        return False
    wait_for(driver, "the reprint is printed with its reason", reprinted)
    driver.save_screenshot(os.path.join(args.screenshots, "4-queue-reprinted.png"))


def staff_checks(driver, args):
    origin = without_secret(args.desk_url)
    for path in ("/", "/so-dang-ky", "/so-dang-ky.csv", "/thong-ke"):
        status, body = request(origin + path)
        check(status == 403 and "ISSUED" not in body,
              f"staff page {path} without the secret is 403 (got {status})")

    driver.get(args.desk_url)
    counts = {a.get_attribute("data-state"): int(a.find_element(By.CLASS_NAME, "count").text)
              for a in driver.find_elements(By.CSS_SELECTOR, "ul.states a[data-state]")}
    check(counts.get("ISSUED") == 2 and counts.get("DRAFT") == 1 and counts.get("SEALED") == 0,
          f"documents by state: 2 issued, 1 draft, none sealed ({counts})")
    driver.find_element(By.CSS_SELECTOR, "ul.states a[data-state=ISSUED]").click()
    WebDriverWait(driver, 30).until(lambda d: "trang-thai=ISSUED" in d.current_url)
    listed = {r.get_attribute("data-dossier")
              for r in driver.find_elements(By.CSS_SELECTOR, "tr.document")}
    check(listed == {args.failed, args.waiting}, f"the issued ones are listed ({listed})")
    driver.save_screenshot(os.path.join(args.screenshots, "5-documents-by-state.png"))

    driver.find_element(By.PARTIAL_LINK_TEXT, "Sổ đăng ký").click()
    WebDriverWait(driver, 30).until(lambda d: d.current_url.endswith("/so-dang-ky"))
    entries = driver.find_elements(By.CSS_SELECTOR, "tr.entry[data-state=ISSUED]")
    check(len(entries) == 2, f"the register lists two issued numbers ({len(entries)})")
    driver.save_screenshot(os.path.join(args.screenshots, "6-register.png"))
    driver.find_element(By.ID, "csv").click()
    target = os.path.join(args.downloads, "so-dang-ky.csv")
    deadline = time.monotonic() + 30
    while not os.path.exists(target) and time.monotonic() < deadline:
        time.sleep(0.2)
    check(os.path.exists(target), "the CSV downloads")
    data = open(target, "rb").read()
    check(data.startswith(b"\xef\xbb\xbf"), "the CSV starts with the UTF-8 byte-order mark")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    check(len(rows) == 3, f"the CSV has a header and two rows ({len(rows)})")
    text = data.decode("utf-8")
    check(args.failed in text and args.waiting in text, "the CSV names both dossiers")

    driver.find_element(By.PARTIAL_LINK_TEXT, "Thống kê").click()
    WebDriverWait(driver, 30).until(lambda d: "/thong-ke" in d.current_url)
    procedures = driver.find_elements(By.CSS_SELECTOR, "table#statistics tr.procedure")
    check(len(procedures) == 1, f"one procedure in the table ({len(procedures)})")
    cells = procedures[0].find_elements(By.TAG_NAME, "td")
    check(cells[1].text == "3" and cells[2].text == "2",
          f"three received (one still a draft), two returned ({[c.text for c in cells]})")
    spot = driver.find_elements(By.CSS_SELECTOR, "#chart-spot svg rect.bar")
    check(len(spot) == 1, f"the on-the-spot chart has one bar ({len(spot)})")
    share = float(spot[0].get_attribute("data-value"))
    check(f"{round(share * 100)} %" == cells[5].text,
          f"its value is the table's share ({share}, {cells[5].text})")
    check(share == 1.0, "both were returned on the spot")
    times = driver.find_elements(By.CSS_SELECTOR, "#chart-time svg rect.bar")
    check(len(times) == 2, f"the time chart has a median and a p90 bar ({len(times)})")
    for bar, cell in zip(times, (cells[6], cells[7])):
        check(abs(float(bar.get_attribute("data-value")) -
                  float(cell.get_attribute("data-minutes"))) < 0.05,
              f"a time bar is the table's minutes ({bar.get_attribute('data-value')})")
    check(driver.find_element(By.CSS_SELECTOR, "#chart-spot svg").size["width"] > 200,
          "the chart is drawn at a readable size")
    driver.save_screenshot(os.path.join(args.screenshots, "7-statistics.png"))

    # A chosen period without documents: nothing to draw.
    driver.get(origin + "/thong-ke?tu=2020-01-01&den=2020-01-31&phut=120")
    check(driver.find_element(By.ID, "from").get_attribute("value") == "2020-01-01",
          "the chosen period is kept in the form")
    check(not driver.find_elements(By.CSS_SELECTOR, "svg rect.bar"),
          "a period without documents draws no bar")
    check("no data" in driver.find_element(By.ID, "chart-spot").text, "and says so")


def main():
    parser = argparse.ArgumentParser()
    for name in ("queue-url", "desk-url", "failed", "waiting", "reprint-reason", "screenshots",
                 "downloads", "jam-seen", "restarted-queue-url-file"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    os.makedirs(args.downloads, exist_ok=True)
    driver = browser(args.downloads)
    FAILURE_DUMP.update(driver=driver, dir=args.screenshots)
    try:
        queue_checks(driver, args)
        staff_checks(driver, args)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
