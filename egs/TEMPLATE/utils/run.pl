#!/usr/bin/env perl
# Kaldi run.pl-style local job runner:
#   utils/run.pl [JOB=1:N] LOGFILE COMMAND...
# Runs COMMAND (through bash) once, or N times in parallel with "JOB" replaced by the job
# index in LOGFILE and COMMAND. Each log starts with the command and ends with its exit code
# and run time. Exits non-zero (naming the failed logs) if any job fails.
use strict;
use warnings;

my ($jobvar, $first, $last) = (undef, 1, 1);
if (@ARGV && $ARGV[0] =~ /^([A-Za-z_]\w*)=(\d+):(\d+)$/) {
  ($jobvar, $first, $last) = ($1, $2, $3);
  shift @ARGV;
  die "run.pl: empty job range $first:$last\n" if $last < $first;
}
die "Usage: run.pl [JOB=1:N] <log-file> <command...>\n" if @ARGV < 2;
my $logfile = shift @ARGV;
my $cmd = join(' ', map { /^[\w\/.=:,+-]+$/ ? $_ : "'" . join("'\\''", split(/'/, $_, -1)) . "'" } @ARGV);

my %pids;
for my $job ($first .. $last) {
  my ($log, $this) = ($logfile, $cmd);
  if (defined $jobvar) {
    $log =~ s/\b$jobvar\b/$job/g;
    $this =~ s/\b$jobvar\b/$job/g;
  }
  (my $dir = $log) =~ s{/[^/]*$}{};
  system("mkdir", "-p", $dir) if $dir ne $log;
  my $pid = fork();
  die "run.pl: fork failed\n" unless defined $pid;
  if ($pid == 0) {
    open(my $fh, '>', $log) or die "run.pl: cannot write $log\n";
    print $fh "# $this\n# Started at " . localtime() . "\n";
    close $fh;
    my $start = time();
    my $rc = system("bash", "-c", "( $this ) >>'$log' 2>&1");
    my $code = $rc == -1 ? 127 : ($rc >> 8);
    open($fh, '>>', $log) or die;
    print $fh "# Accounting: time=" . (time() - $start) . " threads=1\n";
    print $fh "# Ended (code $code) at " . localtime() . "\n";
    close $fh;
    exit($code ? 1 : 0);
  }
  $pids{$pid} = $log;
}
my @failed;
for my $pid (keys %pids) {
  waitpid($pid, 0);
  push @failed, $pids{$pid} if $? != 0;
}
if (@failed) {
  print STDERR "run.pl: " . scalar(@failed) . " / " . scalar(keys %pids) . " jobs failed, see " . join(', ', sort @failed) . "\n";
  exit 1;
}
exit 0;
