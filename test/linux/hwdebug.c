// A Linux program (static, run inside the guest kit) that debugs its child with ptrace the way
// gdb does: a hardware watchpoint (NT_ARM_HW_WATCH) on a store, a hardware breakpoint
// (NT_ARM_HW_BREAK), and PTRACE_SINGLESTEP over straight-line code and a branch. Linux drives
// DBGWCR/DBGWVR, DBGBCR/DBGBVR, MDSCR_EL1 and SPSR.SS for it (arch/arm64/kernel/hw_breakpoint.c,
// debug-monitors.c). Prints one line per check and "hwdebug: ok" when all pass.
#include <elf.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TRAP_HWBKPT
#define TRAP_HWBKPT 4
#endif

/** struct user_hwdebug_state (arch/arm64/include/uapi/asm/ptrace.h). */
struct hwdebug {
  uint32_t dbg_info;
  uint32_t pad;
  struct {
    uint64_t addr;
    uint32_t ctrl;
    uint32_t pad;
  } regs[16];
};

// Control words as Linux's ptrace interface takes them (DBGxCR layout): E, PMC/PAC = EL0,
// LSC = store (watchpoints), BAS.
#define CTRL_EL0 (2u << 1)
#define WP_STORE (2u << 3)
#define CTRL(bas, type) (((uint32_t)(bas) << 5) | (type) | CTRL_EL0 | 1u)

static volatile uint64_t watched[4];
extern char steps[];
__asm__(".text\n"
        ".globl steps\n"
        "steps:\n"
        "  mov x9, #1\n"
        "  add x9, x9, #1\n"
        "  add x9, x9, #1\n"
        "  b 1f\n"
        "  nop\n"
        "1:\n"
        "  add x9, x9, #1\n"
        "  ret\n");

static int failures;

static void check(int ok, const char *what) {
  printf("%s: %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) failures++;
}

static int set_hw(pid_t pid, int type, uint64_t addr, uint32_t ctrl) {
  struct hwdebug st = {0};
  st.regs[0].addr = addr;
  st.regs[0].ctrl = ctrl;
  struct iovec iov = {&st, offsetof(struct hwdebug, regs) + sizeof st.regs[0]};
  return (int)ptrace(PTRACE_SETREGSET, pid, (void *)(intptr_t)type, &iov);
}

static int slots(pid_t pid, int type) {
  struct hwdebug st = {0};
  struct iovec iov = {&st, sizeof st};
  if (ptrace(PTRACE_GETREGSET, pid, (void *)(intptr_t)type, &iov) != 0) return -1;
  return (int)(st.dbg_info & 0xff);
}

static uint64_t pc_of(pid_t pid) {
  struct user_regs_struct regs;
  struct iovec iov = {&regs, sizeof regs};
  if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) != 0) return 0;
  return regs.pc;
}

/** Resumes the child with `req` and waits for its next stop; returns the stop signal (0 if it exited). */
static int resume(pid_t pid, int req) {
  int status;
  if (ptrace(req, pid, 0, 0) != 0) return -1;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFSTOPPED(status) ? WSTOPSIG(status) : 0;
}

int main(void) {
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    watched[1] = 42;
    ((void (*)(void))steps)();
    _exit(7);
  }
  int status;
  waitpid(pid, &status, 0);
  check(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP, "child stopped");
  int nbp = slots(pid, NT_ARM_HW_BREAK), nwp = slots(pid, NT_ARM_HW_WATCH);
  printf("slots: %d breakpoints, %d watchpoints\n", nbp, nwp);
  check(nbp == 6 && nwp == 4, "slots");

  // Watchpoint on the store to watched[1]: SIGTRAP before the store, si_addr the watched address.
  check(set_hw(pid, NT_ARM_HW_WATCH, (uint64_t)&watched[1], CTRL(0xff, WP_STORE)) == 0, "set watchpoint");
  int sig = resume(pid, PTRACE_CONT);
  siginfo_t si = {0};
  ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
  check(sig == SIGTRAP && si.si_code == TRAP_HWBKPT && si.si_addr == (void *)&watched[1], "watchpoint hit");
  long before = ptrace(PTRACE_PEEKDATA, pid, (void *)&watched[1], 0);
  // As gdb does: remove it, step over the store, the store is done.
  set_hw(pid, NT_ARM_HW_WATCH, 0, 0);
  sig = resume(pid, PTRACE_SINGLESTEP);
  long after = ptrace(PTRACE_PEEKDATA, pid, (void *)&watched[1], 0);
  check(sig == SIGTRAP && before == 0 && after == 42, "store stepped over");

  // Hardware breakpoint on `steps`.
  check(set_hw(pid, NT_ARM_HW_BREAK, (uint64_t)steps, CTRL(0xf, 0)) == 0, "set breakpoint");
  sig = resume(pid, PTRACE_CONT);
  check(sig == SIGTRAP && pc_of(pid) == (uint64_t)steps, "breakpoint hit");
  set_hw(pid, NT_ARM_HW_BREAK, 0, 0);

  // Single steps through it: straight-line code, then the branch skips the NOP.
  static const int want[] = {4, 8, 12, 20, 24};
  int stepped = 1;
  for (int i = 0; i < 5; i++) {
    sig = resume(pid, PTRACE_SINGLESTEP);
    uint64_t pc = pc_of(pid);
    printf("step %d: pc steps+%ld\n", i + 1, (long)(pc - (uint64_t)steps));
    if (sig != SIGTRAP || pc != (uint64_t)steps + want[i]) stepped = 0;
  }
  check(stepped, "single steps");

  ptrace(PTRACE_CONT, pid, 0, 0);
  waitpid(pid, &status, 0);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 7, "child ran to its exit");
  printf("hwdebug: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
