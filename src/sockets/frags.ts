// Where message bytes live, as far as BPF can tell: the process's page fragment (current->task_frag,
// 32 KiB pages that sendmsg copies into, skb_page_frag_refill / sk_msg_alloc in net/core/skmsg.c) and
// the scatterlist of a `struct sk_msg` (at most MAX_MSG_FRAGS elements). An sk_msg program sees only
// the first element between data and data_end, so a message's element boundaries (a new element when
// another send took the fragment in between, or when a page runs out) are part of what it observes.
// A page is reused from offset 0 once nothing refers to it any more (every byte read or dropped).

export const FRAG_PAGE = 32768; // PAGE_SIZE << SKB_FRAG_PAGE_ORDER
export const MAX_MSG_FRAGS = 17; // MAX_SKB_FRAGS

/** A run of bytes in one page; holds a reference on the page until it is released. */
export interface Chunk {
  page: number;
  offset: number;
  bytes: Uint8Array;
}

export class PageFrags {
  private page = 0;
  private offset = 0;
  private nextPage = 1;
  /** Live references per page (elements, queued bytes). */
  private readonly refs = new Map<number, number>();

  /** skb_page_frag_refill(32): reuse the page from 0 when nobody holds it; a new page when < sz bytes are left. */
  private refill(sz = 32): void {
    if (this.page && !this.refs.get(this.page)) { this.offset = 0; return; }
    if (this.page && this.offset + sz <= FRAG_PAGE) return;
    this.page = this.nextPage++;
    this.offset = 0;
  }

  /** Take up to `len` bytes from the current page: the page, where, and how many. */
  take(len: number): { page: number; offset: number; use: number } {
    this.refill();
    const use = Math.min(len, FRAG_PAGE - this.offset);
    const at = { page: this.page, offset: this.offset, use };
    this.offset += use;
    return at;
  }
  /** Give back the last `n` bytes taken (sk_msg_alloc trimming after ENOSPC). */
  untake(n: number): void { this.offset -= n; }

  hold(page: number): void { if (page) this.refs.set(page, (this.refs.get(page) ?? 0) + 1); }
  release(page: number): void {
    if (!page) return;
    const n = (this.refs.get(page) ?? 0) - 1;
    if (n > 0) this.refs.set(page, n); else this.refs.delete(page);
  }

  /** Copy `data` into page chunks the way tcp_sendmsg does (a plain TCP send), holding each page. */
  copy(data: Uint8Array): Chunk[] {
    const out: Chunk[] = [];
    let off = 0;
    while (off < data.length) {
      const t = this.take(data.length - off);
      this.hold(t.page);
      out.push({ page: t.page, offset: t.offset, bytes: data.slice(off, off + t.use) });
      off += t.use;
    }
    return out;
  }
}

/** One scatterlist element of an sk_msg. `page` 0: a page bpf_msg_push/pull/pop allocated (not the fragment's). */
export interface Elem {
  page: number;
  offset: number;
  bytes: Uint8Array;
}

/** struct sk_msg, as the verdict path uses it. */
export class SkMsg {
  elems: Elem[] = [];
  applyBytes = 0;
  corkBytes = 0;
  /** Set by bpf_msg_redirect_map/hash: the target and BPF_F_INGRESS. */
  redirect: { sock: unknown; ingress: boolean } | undefined;
  get size(): number { return this.elems.reduce((n, e) => n + e.bytes.length, 0); }
  get full(): boolean { return this.elems.length >= MAX_MSG_FRAGS; }
  /** All bytes, in order. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const e of this.elems) { out.set(e.bytes, o); o += e.bytes.length; }
    return out;
  }

  /**
   * sk_msg_alloc + copy from the user's buffer: append up to `data.length` bytes from the page fragment,
   * growing the last element when the fragment continues it, else a new element; stops when the
   * scatterlist is full (ENOSPC). Returns how many bytes were taken.
   */
  fill(frags: PageFrags, data: Uint8Array): number {
    let off = 0;
    // sk_msg_try_coalesce_ok: only a message that had elements when the copy started may grow its last one
    const coalesce = this.elems.length > 0;
    while (off < data.length) {
      const t = frags.take(data.length - off);
      const last = this.elems[this.elems.length - 1];
      const piece = data.subarray(off, off + t.use);
      if (coalesce && last && last.page === t.page && last.offset + last.bytes.length === t.offset) {
        const grown = new Uint8Array(last.bytes.length + piece.length);
        grown.set(last.bytes);
        grown.set(piece, last.bytes.length);
        last.bytes = grown;
      } else {
        if (this.full) {
          frags.untake(t.use);
          break;
        }
        frags.hold(t.page);
        this.elems.push({ page: t.page, offset: t.offset, bytes: piece.slice() });
      }
      off += t.use;
    }
    return off;
  }

  /**
   * Take the first `n` bytes out, with their page references (a piece cut from an element takes a
   * reference of its own, as splicing a page into an skb does).
   */
  shift(n: number, frags: PageFrags): Elem[] {
    const out: Elem[] = [];
    while (n > 0 && this.elems.length) {
      const e = this.elems[0]!;
      if (e.bytes.length <= n) {
        out.push(this.elems.shift()!);
        n -= e.bytes.length;
      } else {
        frags.hold(e.page);
        out.push({ page: e.page, offset: e.offset, bytes: e.bytes.slice(0, n) });
        e.bytes = e.bytes.slice(n);
        e.offset += n;
        n = 0;
      }
    }
    return out;
  }

  /** Drop everything (sk_msg_free), releasing the pages. */
  free(frags: PageFrags): number {
    const n = this.size;
    for (const e of this.elems) frags.release(e.page);
    this.elems = [];
    return n;
  }
}
