// House rules that no published plugin has, as a local ESLint plugin (used by eslint.config.mjs).

/** Parameter names a one-letter rule lets through. */
const ALLOWED = new Set(['_'])

/** The identifier a parameter binds: `x`, `x = 1`, `private x: T` (not destructuring or `...rest`). */
function paramName(param) {
  if (param.type === 'TSParameterProperty') return paramName(param.parameter)
  if (param.type === 'AssignmentPattern') return paramName(param.left)
  return param.type === 'Identifier' ? param : undefined
}

/** Strips `as`, `satisfies` and parentheses (ESTree has no node for the latter). */
function unwrap(node) {
  while (node && (node.type === 'TSAsExpression' || node.type === 'TSSatisfiesExpression')) node = node.expression
  return node
}

const isFunction = (node) => node && (node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression')

/**
 * `house/param-names`: parameters of exported functions, exported arrow-function consts, methods of
 * exported object literals and public methods of exported classes say what they hold (`ctx`,
 * `res`, `opts`, `query`…), not one letter. Allowed: `_` (unused), and the `(a, b)` pair of a
 * symmetric binary function (compare, equal, add, max).
 */
const paramNames = {
  meta: {
    type: 'suggestion',
    docs: { description: 'no one-letter parameter names in exported functions and public methods' },
    schema: [],
    messages: { oneLetter: "Parameter '{{name}}' of exported {{owner}}: name it for what it holds (one-letter names are for local callbacks)." },
  },
  create(context) {
    const check = (fn, owner) => {
      const names = fn.params.map(paramName)
      const has = (n) => names.some((id) => id?.name === n)
      for (const id of names) {
        if (!id || id.name.length !== 1 || ALLOWED.has(id.name)) continue
        if ((id.name === 'a' && has('b')) || (id.name === 'b' && has('a'))) continue
        context.report({ node: id, messageId: 'oneLetter', data: { name: id.name, owner } })
      }
    }
    const keyName = (m) => (m.key?.type === 'Identifier' ? m.key.name : m.key?.type === 'Literal' ? String(m.key.value) : '[computed]')
    const checkClass = (cls, name) => {
      for (const m of cls.body.body) {
        if (m.accessibility === 'private' || m.key?.type === 'PrivateIdentifier') continue
        if (m.type === 'MethodDefinition') check(m.value, `${name}.${keyName(m)}`)
        else if (m.type === 'PropertyDefinition' && isFunction(unwrap(m.value))) check(unwrap(m.value), `${name}.${keyName(m)}`)
      }
    }
    const checkObject = (obj, name) => {
      for (const p of obj.properties) if (p.type === 'Property' && isFunction(p.value)) check(p.value, `${name}.${keyName(p)}`)
    }
    const checkDeclaration = (decl) => {
      if (!decl) return
      if (decl.type === 'FunctionDeclaration') check(decl, `function ${decl.id?.name ?? 'default'}`)
      else if (decl.type === 'ClassDeclaration') checkClass(decl, `class ${decl.id?.name ?? 'default'}`)
      else if (decl.type === 'VariableDeclaration') {
        for (const d of decl.declarations) {
          const init = unwrap(d.init)
          const name = d.id.type === 'Identifier' ? d.id.name : 'const'
          if (isFunction(init)) check(init, `function ${name}`)
          else if (init?.type === 'ObjectExpression') checkObject(init, name)
          else if (init?.type === 'ClassExpression') checkClass(init, `class ${name}`)
        }
      } else if (isFunction(decl)) check(decl, 'default function')
      else if (decl.type === 'ObjectExpression') checkObject(decl, 'default')
    }
    return {
      Program(program) {
        // Names exported by a later `export { name }` count as exported declarations too.
        const exportedLater = new Set()
        for (const st of program.body) {
          if (st.type === 'ExportNamedDeclaration' && !st.declaration && !st.source)
            for (const s of st.specifiers) if (s.local.type === 'Identifier') exportedLater.add(s.local.name)
        }
        for (const st of program.body) {
          if (st.type === 'ExportNamedDeclaration' || st.type === 'ExportDefaultDeclaration') checkDeclaration(st.declaration)
          else if ((st.type === 'FunctionDeclaration' || st.type === 'ClassDeclaration') && exportedLater.has(st.id?.name)) checkDeclaration(st)
          else if (st.type === 'VariableDeclaration') {
            const declarations = st.declarations.filter((d) => d.id.type === 'Identifier' && exportedLater.has(d.id.name))
            if (declarations.length) checkDeclaration({ ...st, declarations })
          }
        }
      },
    }
  },
}

export default { rules: { 'param-names': paramNames } }
