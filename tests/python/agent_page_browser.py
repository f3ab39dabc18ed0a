#!/usr/bin/python3
"""The officer's approval page (issue 18 §2) in a real browser: Debian's chromium, headless, driven
by python3-selenium through chromium-driver, against `taicho-agent --web` that
tests/agent_page_test.cc started with three drafts waiting and the officer's SoftHSM2 token behind
OpenSC's pkcs11-spy (its log counts the agent's C_Login calls).

Checks, without a browser first: no secret → 403; another Host (DNS rebinding) → 403 even with
the secret; a cross-site POST (another Origin, or Sec-Fetch-Site cross-site) → 403 and no login.
In the browser: the secret URL sets the cookie and leaves the address bar; the list shows the
three drafts and the token needing its PIN; a draft is read in full (pdf.js draws every page, its
text is there); a wrong PIN is reported once with PIN_INCORRECT and exactly one C_Login, nothing is
signed, a reload logs in no more; the right PIN approves the two selected drafts in one login and
each result is shown. Screenshots (1366x768) go to --screenshots. Exits non-zero on the first
failed check.

Usage: agent_page_browser.py --url URL --spy-log FILE --screenshots DIR --dossier D1 --dossier D2
       --dossier D3
"""
import argparse
import http.client
import os
import re
import sys
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def check(condition, what):
    if not condition:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def logins(spy_log):
    """The C_Login calls pkcs11-spy saw, each with what the token returned."""
    try:
        with open(spy_log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    out = []
    for block in re.split(r"\n(?=\d+: C_)", text):
        if re.match(r"\d+: C_Login\b", block):
            returned = re.search(r"Returned:\s+\d+\s+(\w+)", block)
            out.append(returned.group(1) if returned else "?")
    return out


def request(port, method, path, headers, body=b""):
    """(status, headers, body) of one request whose headers (Host included) are exactly these."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for key, value in headers.items():
        connection.putheader(key, value)
    if method == "POST":
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body if body else None)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.headers, data


def browser(width, height):
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--disable-gpu", f"--window-size={width},{height}", "--lang=vi",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def replaced(old):
    """A wait condition: the page that held `old` was replaced. Selenium's staleness_of only
    knows the stale-element error; chromedriver can answer a node of the old page with "Node with
    given id does not belong to the document" instead (an unknown error) while the new page loads,
    which says the same."""
    def gone(_driver):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
    return gone


def row_of(driver, dossier):
    for row in driver.find_elements(By.CSS_SELECTOR, "tbody tr"):
        if dossier in row.text:
            return row
    check(False, f"the list shows {dossier}")
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--spy-log", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--dossier", action="append", required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    parsed = urllib.parse.urlsplit(args.url)
    port = parsed.port
    host = f"127.0.0.1:{port}"
    secret = urllib.parse.parse_qs(parsed.query)["khoa"][0]
    check(len(secret) >= 32, f"the secret has at least 128 bits ({len(secret) * 4})")

    # Without a browser: the guards.
    status, headers, _ = request(port, "GET", "/", {"Host": host})
    check(status == 403 and headers.get("X-Taicho-Refused") == "secret",
          f"without the secret: 403 ({status})")
    for other in (f"evil.example:{port}", f"127.0.0.1.nip.io:{port}", "127.0.0.1"):
        status, headers, _ = request(port, "GET", "/?khoa=" + secret, {"Host": other})
        check(status == 403 and headers.get("X-Taicho-Refused") == "host"
              and "Set-Cookie" not in headers, f"Host {other}: refused even with the secret")
    status, headers, _ = request(port, "GET", "/?khoa=" + secret, {"Host": host})
    cookie = headers.get("Set-Cookie", "")
    check(status == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie,
          f"the secret becomes an HttpOnly SameSite=Strict cookie ({cookie.split('=')[0]})")
    cookie = cookie.split(";")[0]
    status, headers, page = request(port, "GET", "/", {"Host": host, "Cookie": cookie})
    check(status == 200, "with the cookie: the page")
    csp = headers.get("Content-Security-Policy", "")
    check("http" not in csp and "*" not in csp and "frame-ancestors 'none'" in csp,
          f"CSP names no outside source and forbids framing ({csp})")
    check(headers.get("Referrer-Policy") == "no-referrer", "no referrer")
    status, headers, script = request(port, "GET", "/pdfjs/pdf.js", {"Host": host, "Cookie": cookie})
    check(status == 200 and b"pdfjsLib" in script, "pdf.js is served by the agent itself")
    body = ("chon=*&pin=123456&" + "&".join("doc=" + d for d in args.dossier)).encode()
    for extra, what in (({"Origin": "http://evil.example"}, "another Origin"),
                        ({}, "no Origin"),
                        ({"Origin": f"http://127.0.0.1:{port + 1}", "Sec-Fetch-Site": "same-site"},
                         "another port of 127.0.0.1"),
                        ({"Origin": f"http://{host}", "Sec-Fetch-Site": "cross-site"},
                         "Sec-Fetch-Site cross-site")):
        status, headers, _ = request(port, "POST", "/ky-duyet",
                                     {"Host": host, "Cookie": cookie, **extra}, body)
        check(status == 403, f"a cross-site POST ({what}) is refused ({status})")
    check(logins(args.spy_log) == [], "no POST refused above reached the token")

    driver = browser(1366, 768)
    try:
        driver.get(args.url)
        WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.ID, "so-van-ban")))
        check("khoa=" not in driver.current_url, f"the secret left the address bar ({driver.current_url})")
        check(driver.find_element(By.ID, "so-van-ban").text == "3", "three drafts are waiting")
        check(driver.find_element(By.ID, "token").get_attribute("data-state") == "pin",
              "the token is present and needs its PIN")
        for dossier in args.dossier:
            row_of(driver, dossier)
        driver.save_screenshot(os.path.join(args.screenshots, "agent-list.png"))

        # Read the first draft in full.
        row_of(driver, args.dossier[0]).find_element(By.CSS_SELECTOR, "a.xem").click()
        WebDriverWait(driver, 120).until(
            lambda d: d.find_element(By.ID, "trang").get_attribute("data-pages")
            or d.find_element(By.ID, "trang").get_attribute("data-error"))
        holder = driver.find_element(By.ID, "trang")
        check(holder.get_attribute("data-error") is None, f"pdf.js opened the draft ({holder.text})")
        pages = int(holder.get_attribute("data-pages"))
        canvases = driver.find_elements(By.CSS_SELECTOR, "#trang canvas")
        check(pages >= 1 and len(canvases) == pages, f"every page is drawn ({pages})")
        text = driver.find_element(By.ID, "chu").text
        check("QUYẾT ĐỊNH" in text.upper() and len(text) > 300,
              f"the draft's text is readable ({len(text)} characters)")
        driver.save_screenshot(os.path.join(args.screenshots, "agent-read.png"))
        driver.find_element(By.CSS_SELECTOR, "main a[href='/']").click()
        WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.ID, "so-van-ban")))

        def approve(pin):
            for dossier in args.dossier[:2]:
                row_of(driver, dossier).find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
            field = driver.find_element(By.ID, "pin")
            check(field.get_attribute("value") == "", "the PIN field starts empty")
            field.send_keys(pin)
            old = driver.find_element(By.TAG_NAME, "html")
            driver.find_element(By.CSS_SELECTOR, "button.all").click()
            WebDriverWait(driver, 120).until(replaced(old))
            WebDriverWait(driver, 120).until(EC.presence_of_element_located((By.ID, "ket-qua")))

        # A wrong PIN: one C_Login, reported with its code, nothing signed, never retried.
        approve("000000")
        results = driver.find_element(By.ID, "ket-qua").text
        driver.save_screenshot(os.path.join(args.screenshots, "agent-wrong-pin.png"))
        check("PIN_INCORRECT" in results, f"the wrong PIN is reported with its code ({results})")
        check(logins(args.spy_log) == ["CKR_PIN_INCORRECT"],
              f"exactly one C_Login, refused ({logins(args.spy_log)})")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#ket-qua li.ok")) == 0, "nothing signed")
        check(driver.find_element(By.ID, "so-van-ban").text == "3", "three drafts still wait")
        check("000000" not in driver.page_source, "the page does not echo the PIN")
        driver.refresh()
        WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.ID, "so-van-ban")))
        check(logins(args.spy_log) == ["CKR_PIN_INCORRECT"], "a reload logs in no more")

        # The right PIN, typed again: one login, the two selected drafts approved.
        approve("123456")
        results = driver.find_element(By.ID, "ket-qua").text
        driver.save_screenshot(os.path.join(args.screenshots, "agent-approved.png"))
        signed = driver.find_elements(By.CSS_SELECTOR, "#ket-qua li.ok")
        check(len(signed) == 2, f"two results 'signed' ({results})")
        check(logins(args.spy_log) == ["CKR_PIN_INCORRECT", "CKR_OK"],
              f"one more C_Login, accepted ({logins(args.spy_log)})")
        check(driver.find_element(By.ID, "so-van-ban").text == "1", "one draft still waits")
        check(driver.find_element(By.ID, "token").get_attribute("data-state") == "ready",
              "the token is open now")
        print("all approval page checks passed")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
