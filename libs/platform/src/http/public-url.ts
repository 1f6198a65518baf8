/**
 * The URL clients reach this app at: MANDATE_PUBLIC_URL when set (behind a proxy or a load
 * balancer), otherwise the address it listens on. Known once the app listens; an OAuth issuer.
 */
export class PublicUrl {
  private url: string | undefined;

  get value(): string {
    if (this.url === undefined) throw new Error('The public URL is known once the app listens');
    return this.url;
  }

  get known(): boolean {
    return this.url !== undefined;
  }

  set(url: string): void {
    this.url = url.replace(/\/+$/, '');
  }
}
