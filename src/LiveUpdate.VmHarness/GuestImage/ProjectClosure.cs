// ProjectClosure: the project directories one .csproj builds from — itself and every project it
// references, transitively (<ProjectReference>). The guest publish hashes exactly these, so an edit
// to the harness, a test or another app does not republish a native binary (≈ 1.5 min each).
using System.Xml.Linq;

namespace LiveUpdate.VmHarness.GuestImage;

public static class ProjectClosure
{
    /// <summary>The directories of <paramref name="project"/> and of all projects it references, ordered by path.</summary>
    public static IReadOnlyList<string> Directories(string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!File.Exists(current))
            {
                throw new HarnessException($"{current} is referenced but missing; check the ProjectReference items that name it.");
            }
            if (!seen.Add(Path.GetDirectoryName(current)!))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")?.Value;
                if (!string.IsNullOrEmpty(include))
                {
                    pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, include.Replace('\\', '/'))));
                }
            }
        }
        return [.. seen];
    }
}
