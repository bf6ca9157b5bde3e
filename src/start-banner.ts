/**
 * The short human block that ends `npm start`: where the service is and how to get in. Written to
 * stderr, never through the logger, so the token stays out of the JSON log stream (stdout).
 */
export interface BannerInput {
  url: string;
  /** An admin token minted for this start (null in production: none is minted). */
  adminToken: string | null;
  /** Where the token is kept (DATA_DIR/admin-token). */
  tokenFile?: string | null;
  /** Print the token itself (stderr is a terminal); otherwise only where to read it. */
  showToken?: boolean;
  /** Whether the dashboard's sign-in page is served. */
  dashboard: boolean;
  /** Whether Swagger UI is served (SWAGGER_ENABLED; off by default in production). */
  swagger?: boolean;
}

export function startBanner({ url, adminToken, tokenFile = null, showToken = true, dashboard, swagger = true }: BannerInput): string {
  const rows: Array<[string, string]> = [['API', `${url}/api/v1`]];
  if (swagger) rows.push(['Swagger UI', `${url}/docs`]);
  if (adminToken && showToken) {
    if (dashboard) rows.push(['Dashboard', `${url}/login#token=${adminToken}`]);
    rows.push(['Admin token', `${adminToken}   (sub "admin", valid 30 days)`]);
  } else if (adminToken) {
    if (dashboard) rows.push(['Dashboard', `${url}/login#token=<the admin token>`]);
    rows.push(['Admin token', `in ${tokenFile ?? 'DATA_DIR/admin-token'}   (sub "admin", valid 30 days)`]);
  }
  rows.push(['More tokens', 'npm run -s token -- --sub alice --role admin   (roles: admin, service, user)']);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `\n  model-ab is running\n${rows.map(([label, value]) => `    ${label.padEnd(width)}  ${value}`).join('\n')}\n\n`;
}
