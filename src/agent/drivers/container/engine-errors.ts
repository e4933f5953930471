// The container engine's failures in words an operator can act on, instead of runc's raw text.
// The engine's own words follow in parentheses, so nothing is lost.

const KNOWN: { test: RegExp; say: (m: RegExpExecArray) => string }[] = [
  {
    test: /error setting rlimits?/i,
    say: () => "the container's ulimits are above the hard limits the engine runs with, and it may not raise them here (no CAP_SYS_RESOURCE): raise the host's hard limits for the podman service (LimitNOFILE, LimitNPROC) or give it that capability",
  },
  {
    test: /crun.*cgroup|cgroup.*crun/i,
    say: () => "podman's runtime crun cannot run containers on this host's cgroup hierarchy: install runc and set runtime = \"runc\" in containers.conf",
  },
  {
    test: /executable file [`"']?([^`"'\s]+)[`"']? not found|exec: [`"']?([^`"'\s:]+)[`"']?: no such file or directory|([^\s:]+): no such file or directory: OCI runtime attempted to invoke a command that was not found/i,
    say: (m) => `the command ${JSON.stringify(m[1] ?? m[2] ?? m[3])} is not in the image`,
  },
  {
    test: /image not known|no such image/i,
    say: () => 'the image is not on this node',
  },
];

/** A plain sentence for what the engine said, with its own text kept at the end. */
export function engineProblem(raw: string): string {
  const text = raw.trim();
  if (text.startsWith('volume "')) return text; // the driver's own words
  for (const k of KNOWN) {
    const m = k.test.exec(text);
    if (m) return `${k.say(m)} (engine: ${text})`;
  }
  return `the container engine refused it: ${text}`;
}
