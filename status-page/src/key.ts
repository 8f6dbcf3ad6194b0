/**
 * The read key the user pastes, kept in this tab's sessionStorage only: never in a URL, a cookie or
 * localStorage, and gone when the tab closes. It leaves the page only as an `Authorization` header.
 */
const STORAGE_KEY = "edp.status.readKey";

export function loadKey(): string | null {
  try {
    const k = sessionStorage.getItem(STORAGE_KEY);
    return k && k.trim() !== "" ? k : null;
  } catch {
    return null; // storage disabled: the user pastes the key again
  }
}

export function saveKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage disabled: the key lives in memory for this page only.
  }
}

export function forgetKey(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}
