// Duplicate keys in a JSON document. JSON.parse silently keeps the last one; strict field
// validation (kubectl's default) must reject them, so we scan the text ourselves.

/** Paths of keys that appear twice in the same object, e.g. ["spec.replicas", "spec.template.spec.containers[0].name"]. */
export function findDuplicateFields(jsonText: string): string[] {
  const scanner = new Scanner(jsonText)
  const dups: string[] = []
  try {
    scanner.ws()
    scanner.value('', dups)
  } catch {
    // Malformed JSON is reported by the real parser; we only look for duplicates.
  }
  return dups
}

class Scanner {
  pos = 0
  constructor(private readonly s: string) {}

  ws(): void {
    while (this.pos < this.s.length && ' \t\n\r'.includes(this.s[this.pos])) this.pos++
  }

  value(path: string, dups: string[]): void {
    const c = this.s[this.pos]
    if (c === '{') return this.object(path, dups)
    if (c === '[') return this.array(path, dups)
    if (c === '"') {
      this.string()
      return
    }
    // number, true, false, null: skip to the next structural character
    const start = this.pos
    while (this.pos < this.s.length && !',]}: \t\n\r'.includes(this.s[this.pos])) this.pos++
    if (this.pos === start) throw new Error(`unexpected character at ${this.pos}`)
  }

  object(path: string, dups: string[]): void {
    this.pos++ // {
    const keys = new Set<string>()
    this.ws()
    if (this.s[this.pos] === '}') {
      this.pos++
      return
    }
    for (;;) {
      this.ws()
      const key = this.string()
      const p = path ? `${path}.${key}` : key
      if (keys.has(key)) dups.push(p)
      keys.add(key)
      this.ws()
      if (this.s[this.pos++] !== ':') throw new Error('expected :')
      this.ws()
      this.value(p, dups)
      this.ws()
      const c = this.s[this.pos++]
      if (c === '}') return
      if (c !== ',') throw new Error('expected , or }')
    }
  }

  array(path: string, dups: string[]): void {
    this.pos++ // [
    this.ws()
    if (this.s[this.pos] === ']') {
      this.pos++
      return
    }
    for (let i = 0; ; i++) {
      this.ws()
      this.value(`${path}[${i}]`, dups)
      this.ws()
      const c = this.s[this.pos++]
      if (c === ']') return
      if (c !== ',') throw new Error('expected , or ]')
    }
  }

  string(): string {
    if (this.s[this.pos] !== '"') throw new Error('expected string')
    const start = this.pos
    this.pos++
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]
      if (c === '\\') this.pos += 2
      else if (c === '"') {
        this.pos++
        return JSON.parse(this.s.slice(start, this.pos)) as string
      } else this.pos++
    }
    throw new Error('unterminated string')
  }
}
