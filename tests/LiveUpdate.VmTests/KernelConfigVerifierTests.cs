// KernelConfigVerifierTests: the .config check after olddefconfig names each option of the
// fragment that Kconfig dropped or changed, and points at its dependencies when it can.
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Kernels;

namespace LiveUpdate.VmTests;

public sealed class KernelConfigVerifierTests
{
    private const string Fragment = """
        # comment
        CONFIG_KEXEC_FILE=y
        CONFIG_LIVEUPDATE=y
        CONFIG_NR_CPUS=8
        # CONFIG_MODULES is not set
        """;

    [Fact]
    public void A_matching_config_passes()
    {
        const string config = "CONFIG_KEXEC_FILE=y\nCONFIG_LIVEUPDATE=y\nCONFIG_NR_CPUS=8\n# CONFIG_MODULES is not set\nCONFIG_OTHER=y\n";
        Assert.Empty(KernelConfigVerifier.FindMismatches(Fragment, config));
        KernelConfigVerifier.Verify(Fragment, config, "fragment", ".config", sourceTree: null);
    }

    [Fact]
    public void A_missing_option_is_named_with_the_likely_cause()
    {
        const string config = "CONFIG_KEXEC_FILE=y\n# CONFIG_LIVEUPDATE is not set\nCONFIG_NR_CPUS=8\n";
        var error = Assert.Throws<HarnessException>(() => KernelConfigVerifier.Verify(Fragment, config, "vm/kernel.fragment", "build/.config", sourceTree: null));
        Assert.Contains("CONFIG_LIVEUPDATE: wanted y, got not set", error.Message);
        Assert.Contains("unmet dependency", error.Message);
        Assert.Contains("vm/kernel.fragment", error.Message);
        Assert.DoesNotContain("CONFIG_KEXEC_FILE", error.Message);
    }

    [Fact]
    public void Changed_values_and_unwanted_options_are_reported()
    {
        const string config = "CONFIG_KEXEC_FILE=y\nCONFIG_LIVEUPDATE=y\nCONFIG_NR_CPUS=64\nCONFIG_MODULES=y\n";
        var mismatches = KernelConfigVerifier.FindMismatches(Fragment, config);
        Assert.Equal(
            new[] { new ConfigMismatch("CONFIG_NR_CPUS", "8", "64"), new ConfigMismatch("CONFIG_MODULES", null, "y") },
            mismatches);
    }

    [Fact]
    public void With_the_source_tree_the_message_quotes_the_Kconfig_dependencies()
    {
        var tree = Directory.CreateTempSubdirectory("luvm-kconfig-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(tree, "kernel", "liveupdate"));
            File.WriteAllText(Path.Combine(tree, "kernel", "liveupdate", "Kconfig"), """
                config LIVEUPDATE
                	bool "Live Update Orchestrator"
                	depends on KEXEC_HANDOVER
                	help
                	  text
                """);
            const string fragment = "CONFIG_LIVEUPDATE=y\nCONFIG_NO_SUCH_THING=y\n";
            var error = Assert.Throws<HarnessException>(() => KernelConfigVerifier.Verify(fragment, "", "f", "c", tree));
            Assert.Contains("depends on KEXEC_HANDOVER", error.Message);
            Assert.Contains("kernel/liveupdate/Kconfig", error.Message);
            Assert.Contains("CONFIG_NO_SUCH_THING: wanted y, got not set — the option does not exist in this kernel version", error.Message);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }
}
