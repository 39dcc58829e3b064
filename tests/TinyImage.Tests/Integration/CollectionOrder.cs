using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("TinyImage.Tests.Integration.DockerCollectionFirst", "TinyImage.Tests")]

namespace TinyImage.Tests.Integration;

/// <summary>
/// Starts the Docker collection first: its tests run one after the other for about two thirds of the suite's time, so
/// begun last (the default order put it after every other parallel collection) it left the second core idle for most
/// of the run. Begun first, the other collections run beside it. The rest keep xunit's order.
/// </summary>
public sealed class DockerCollectionFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        new DefaultTestCollectionOrderer().OrderTestCollections(testCollections)
            .OrderBy(c => c.DisplayName == DockerCollection.Name ? 0 : 1); // a stable sort: the others keep their order
}
