/** Text and attribute values from audit logs are untrusted (user names, object names, messages). */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
