// A device's name for the Devices page, read from its User-Agent: "Firefox on Linux". Simple on
// purpose: the order of the checks matters because browsers copy each other's tokens.

export interface DeviceDescription {
  browser: string;
  os: string;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/\b(?:OPR|Opera)\/(\d+)/, "Opera"],
  [/\bSamsungBrowser\/(\d+)/, "Samsung Internet"],
  [/\bVivaldi\/(\d+)/, "Vivaldi"],
  [/\bYaBrowser\/(\d+)/, "Yandex Browser"],
  [/\bFirefox\/(\d+)/, "Firefox"],
  [/\bFxiOS\/(\d+)/, "Firefox"],
  [/\bCriOS\/(\d+)/, "Chrome"],
  [/\bHeadlessChrome\/(\d+)/, "Headless Chrome"],
  [/\bChrom(?:e|ium)\/(\d+)/, "Chrome"],
  [/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, "Safari"],
  [/\bThunderbird\/(\d+)/, "Thunderbird"],
  [/\bcurl\/(\d+)/, "curl"],
  [/\bnode(?:-fetch)?\b|\bundici\b/i, "Node.js"],
];

const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b.*\bOS (\d+)/, "iOS"],
  [/\bAndroid(?: (\d+))?/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows NT 10\.0\b/, "Windows"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bUbuntu\b/, "Ubuntu"],
  [/\bFedora\b/, "Fedora"],
  [/\bLinux\b|\bX11\b/, "Linux"],
  [/\bFreeBSD\b/, "FreeBSD"],
];

export function describeUserAgent(ua: string | null | undefined): DeviceDescription {
  const s = ua ?? "";
  let browser = "Unknown browser";
  for (const [re, name] of BROWSERS) {
    const m = s.match(re);
    if (m) {
      browser = m[1] && !["Node.js"].includes(name) ? `${name} ${m[1]}` : name;
      break;
    }
  }
  let os = "unknown system";
  for (const [re, name] of SYSTEMS) {
    if (re.test(s)) {
      os = name;
      break;
    }
  }
  return { browser, os };
}
