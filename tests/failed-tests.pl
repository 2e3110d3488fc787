#!/usr/bin/perl
# failed-tests.pl: names each failed test of the given .trx files with the first lines of its
# message, so the end of ./test.sh's output (all a CI log may keep) says what failed and why,
# not only how many. Reads the trx (VSTest's XML results) with a regex: perl is on every
# Debian image and the file's shape is fixed by the logger. Prints nothing when all passed.
use strict;
use warnings;

sub unxml {
    my ($text) = @_;
    $text =~ s/&quot;/"/g; $text =~ s/&apos;/'/g; $text =~ s/&lt;/</g; $text =~ s/&gt;/>/g;
    $text =~ s/&#xD;//g; $text =~ s/&#xA;/\n/g; $text =~ s/&amp;/&/g;
    return $text;
}

local $/;
for my $file (@ARGV) {
    open(my $in, '<', $file) or die "failed-tests: cannot read $file: $!\n";
    my $trx = <$in>;
    close($in);
    while ($trx =~ /<UnitTestResult\b([^>]*?)(?:\/>|>(.*?)<\/UnitTestResult>)/sg) {
        my ($attributes, $body) = ($1, $2 // '');
        next unless $attributes =~ /\boutcome="(?:Failed|Error|Timeout|Aborted)"/;
        my ($name) = $attributes =~ /\btestName="([^"]*)"/;
        my ($message) = $body =~ /<Message>(.*?)<\/Message>/s;
        my @lines = grep { /\S/ } split /\n/, unxml($message // 'no message recorded');
        splice(@lines, 8) if @lines > 8;
        print 'FAILED ', unxml($name // '?'), "\n", map({ "    $_\n" } @lines);
    }
}
