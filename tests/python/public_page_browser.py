#!/usr/bin/python3
"""The public verification page (issue 18) in a real browser: Debian's chromium, headless, driven
by python3-selenium through chromium-driver, against a taichod that tests/public_page_test.cc
started and filled (an issued document, a withdrawn one, a draft, a tampered copy of a sealed
file).

Checks: the QR URL of the issued document shows it valid (every signature "Hợp lệ" with its ETSI
indication and PAdES level, state, number, print count) and its original downloads intact (the
same bytes as the store's, and pdfsig and qpdf --check accept them); the withdrawn one says so; a
tampered upload fails with the change named; a random code, a malformed one and a draft's code are
404 alike; the security headers are on every answer; an address sending too fast gets 429.
Screenshots (1366x768) go to --screenshots. Exits non-zero on the first failed check.

Usage: public_page_browser.py --origin https://127.0.0.1:PORT --prefix v --issued CODE
       --withdrawn CODE --draft CODE --tampered FILE --original-sha256 HEX --screenshots DIR
"""
import argparse
import hashlib
import http.client
import os
import secrets
import ssl
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EXPECTED_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def check(condition, what):
    if not condition:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def fetch(url):
    """(status, headers, body) without following redirects; the test PKI's server certificate is
    not in the system's trust store, so it is not verified here (the browser ignores it too)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        with opener.open(url, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def check_headers(headers, what):
    for key, value in EXPECTED_HEADERS.items():
        check(headers.get(key) == value, f"{what}: {key}: {value} (got {headers.get(key)!r})")
    csp = headers.get("Content-Security-Policy", "")
    check("default-src 'none'" in csp and "frame-ancestors 'none'" in csp,
          f"{what}: CSP default-src 'none', frame-ancestors 'none' ({csp!r})")


def browser(width, height):
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--disable-gpu", "--ignore-certificate-errors",
                f"--window-size={width},{height}", "--lang=vi", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main():
    parser = argparse.ArgumentParser()
    for name in ("origin", "prefix", "issued", "withdrawn", "draft", "tampered", "original-sha256",
                 "qr-base", "screenshots"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    base = f"{args.origin}/{args.prefix}"
    os.makedirs(args.screenshots, exist_ok=True)

    # Without a browser first: headers, the 404s alike, the download.
    status, headers, body = fetch(f"{base}/{args.issued}")
    check(status == 200, "the issued document's page is 200")
    check_headers(headers, "document page")
    random_code = "-".join("".join(secrets.choice(CROCKFORD) for _ in range(4)) for _ in range(5))
    for code, what in ((random_code, "a random code"), ("TC-2026-000122", "a sequential code"),
                       (args.draft, "a draft's code"), ("%3Cscript%3E", "markup")):
        status, headers, body = fetch(f"{base}/{code}")
        check(status == 404, f"{what} is 404 (got {status})")
        check_headers(headers, f"404 for {what}")
        check(b"<script" not in body, f"404 for {what} echoes no markup")
    status, headers, original = fetch(f"{base}/{args.issued}/ban-goc.pdf")
    check(status == 200 and headers.get("Content-Type") == "application/pdf", "the original downloads")
    check(hashlib.sha256(original).hexdigest() == args.original_sha256,
          "the download is the stored revision, byte for byte")
    with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as f:
        f.write(original)
    pdfsig = subprocess.run(["pdfsig", f.name], capture_output=True, text=True)
    check(pdfsig.returncode == 0 and "Signature is Valid" in pdfsig.stdout,
          "pdfsig finds the original's signatures valid")
    qpdf = subprocess.run(["qpdf", "--check", f.name], capture_output=True, text=True)
    check(qpdf.returncode == 0, "qpdf --check accepts the original")
    # The QR code on the paper leads here, and its caption is the code (poppler and zbar read them).
    with tempfile.TemporaryDirectory() as pages:
        subprocess.run(["pdftoppm", "-r", "200", "-png", f.name, os.path.join(pages, "p")],
                       check=True)
        qr = set()
        for page in sorted(os.listdir(pages)):
            zbar = subprocess.run(["zbarimg", "--quiet", "--raw", os.path.join(pages, page)],
                                  capture_output=True, text=True)
            qr.update(line.strip() for line in zbar.stdout.splitlines() if line.strip())
    expected_url = f"{args.qr_base}/{args.prefix}/{args.issued}"
    check(expected_url in qr, f"the printed QR code carries {expected_url} ({sorted(qr)})")
    text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True).stdout
    check(args.issued in text, "the code is printed beside the QR code")
    os.unlink(f.name)
    status, _, _ = fetch(f"{base}/{args.draft}/ban-goc.pdf")
    check(status == 404, "a draft's original is 404")

    driver = browser(1366, 768)
    try:
        # The QR URL of the issued document: valid, issued, its number and print count.
        driver.get(f"{base}/{args.issued}")
        text = driver.find_element(By.TAG_NAME, "body").text
        driver.save_screenshot(os.path.join(args.screenshots, "public-issued.png"))
        check("Tất cả chữ ký hợp lệ" in text, "issued: 'all signatures valid' banner")
        check("Đã ban hành" in text, "issued: state 'Đã ban hành'")
        check(args.issued in text, "issued: the code is shown")
        check("TOTAL-PASSED" in text and "PAdES B-" in text, "issued: ETSI indication and level")
        check("ngày" in text and "UTC+07:00" in text, "issued: signing time in Vietnam time")
        check("Không hợp lệ" not in text, "issued: no failed signature")
        cards = driver.find_elements(By.CSS_SELECTOR, "section.sig.ok")
        check(len(cards) >= 2, f"issued: officer and seal signatures valid ({len(cards)})")
        check("/QĐ-UBND" in text, "issued: the register number")
        number_row = [r.text for r in driver.find_elements(By.TAG_NAME, "tr") if "in bản giấy" in r.text]
        check(number_row and number_row[0].strip().endswith("1"), f"issued: printed once {number_row}")
        for staff in ("client-", "Trần Thị Bích", "Quầy", "HS-WEB"):
            check(staff not in driver.page_source, f"issued: no staff or desk data ({staff})")
        check(len(driver.find_elements(By.TAG_NAME, "script")) == 0, "no script on the page")

        # The withdrawn one says so.
        driver.get(f"{base}/{args.withdrawn}")
        text = driver.find_element(By.TAG_NAME, "body").text
        driver.save_screenshot(os.path.join(args.screenshots, "public-withdrawn.png"))
        check("ĐÃ BỊ THU HỒI" in text and "WITHDRAWN" in text, "withdrawn: says so")
        check("không còn hiệu lực" in text, "withdrawn: no longer in force")
        check("nhưng văn bản đã bị thu hồi" in text and "Tất cả chữ ký hợp lệ" not in text,
              "withdrawn: the signatures' banner does not read as 'all is well'")
        check("sai đối tượng" not in text, "withdrawn: the staff's reason is not shown by default")

        # Typing the code on the home page, lowercase and with spaces, finds the document.
        driver.get(f"{base}/")
        driver.save_screenshot(os.path.join(args.screenshots, "public-home.png"))
        box = driver.find_element(By.ID, "code")
        box.send_keys(args.issued.lower().replace("-", " "))
        box.submit()
        # A click or submit does not wait for the next page: wait for it to be the one expected.
        WebDriverWait(driver, 60).until(EC.url_contains(f"/{args.prefix}/{args.issued}"))
        check(driver.current_url.endswith(f"/{args.prefix}/{args.issued}"),
              f"typed code leads to the page ({driver.current_url})")

        # A tampered copy uploaded: fails, the change named.
        driver.get(f"{base}/")
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(args.tampered))
        driver.find_element(By.CSS_SELECTOR, "form.upload button").click()
        WebDriverWait(driver, 120).until(EC.url_contains("/kiem-tra"))
        WebDriverWait(driver, 120).until(
            EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Kết quả kiểm tra"))
        text = driver.find_element(By.TAG_NAME, "body").text
        driver.save_screenshot(os.path.join(args.screenshots, "public-tampered.png"))
        check("Kết quả kiểm tra" in text, "tampered: the result page")
        check("Có chữ ký không hợp lệ" in text, "tampered: 'not valid' banner")
        check("TOTAL-FAILED" in text, "tampered: TOTAL-FAILED shown")
        check("Thay đổi sau khi ký" in text, "tampered: the changes after signing are listed")
        changes = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "ul.changes li")]
        check(any("trang 1" in c and "không được phép" in c for c in changes),
              f"tampered: the page 1 change is named and marked not permitted {changes}")

        # A random code in the browser: the 404 page.
        driver.get(f"{base}/{random_code}")
        text = driver.find_element(By.TAG_NAME, "body").text
        driver.save_screenshot(os.path.join(args.screenshots, "public-404.png"))
        check("Không tìm thấy" in text, "random code: not found page")
    finally:
        driver.quit()

    # An unknown code and a draft's (known to the store, not public) take the same path: one
    # indexed lookup, then 404. Over one kept-alive connection (no handshakes in the numbers),
    # in pairs, so that load on the machine, which comes and goes, hits both sides of a pair alike.
    host, port = args.origin.removeprefix("https://").rsplit(":", 1)
    connection = http.client.HTTPSConnection(host, int(port), timeout=60,
                                             context=ssl._create_unverified_context())
    timings = {"random": [], "draft": []}
    for _ in range(40):
        for kind, code in (("random", random_code), ("draft", args.draft)):
            start = time.perf_counter()
            connection.request("GET", f"/{args.prefix}/{code}")
            response = connection.getresponse()
            response.read()
            timings[kind].append((time.perf_counter() - start) * 1000)
            if response.status != 404:
                check(False, f"{kind} code is 404 (got {response.status})")
    page = []
    for _ in range(5):
        start = time.perf_counter()
        connection.request("GET", f"/{args.prefix}/{args.issued}")
        response = connection.getresponse()
        response.read()
        page.append((time.perf_counter() - start) * 1000)
    print(f"the issued document's page (verified each time), median of 5: "
          f"{statistics.median(page):.1f} ms")
    connection.close()
    paired = statistics.median(d - r for r, d in zip(timings["random"], timings["draft"]))
    print(f"404 latency over one HTTPS connection, median of 40: random code "
          f"{statistics.median(timings['random']):.2f} ms, draft's code "
          f"{statistics.median(timings['draft']):.2f} ms, median paired difference {paired:.2f} ms")
    check(abs(paired) < 5, "an unknown code and a non-public one answer alike (within 5 ms)")

    # Too fast from one address: 429, with the headers too.
    statuses = [fetch(f"{base}/")[0] for _ in range(150)]
    check(429 in statuses, f"150 quick requests meet 429 ({statuses.count(429)} of them)")
    status, headers, _ = fetch(f"{base}/")
    if status == 429:
        check_headers(headers, "429")
    print("all public page checks passed")


if __name__ == "__main__":
    main()
