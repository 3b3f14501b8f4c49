// Declare the kernel security state of Linux hosts (sysctls, Lockdown, kernel pinning, audits) and reconcile it over SSH.
package kernelhardening
