import { namesEksCluster } from './kube-store.js';

describe('namesEksCluster: the kubeconfig names eksctl and aws eks update-kubeconfig write', () => {
  it.each([
    [['arn:aws:eks:eu-west-1:111122223333:cluster/prod'], 'prod', 'eu-west-1', true],
    [['arn:aws:eks:eu-west-1:111122223333:cluster/prod'], 'prod', undefined, true],
    [['arn:aws:eks:eu-west-1:111122223333:cluster/prod'], 'staging', undefined, false],
    [['arn:aws:eks:eu-west-1:111122223333:cluster/prod'], 'prod', 'us-east-1', false],
    [['arn:aws-us-gov:eks:us-gov-west-1:111122223333:cluster/gov'], 'gov', 'us-gov-west-1', true],
    [['prod.eu-west-1.eksctl.io'], 'prod', 'eu-west-1', true],
    [['admin@prod.eu-west-1.eksctl.io'], 'prod', undefined, true],
    [['prod.eu-west-1.eksctl.io'], 'prod-2', undefined, false],
    [['prod.eu-west-1.eksctl.io'], undefined, 'us-east-1', false],
    [['kind-prod'], 'prod', undefined, false],
    [['prod'], 'prod', 'eu-west-1', true],
    [['prod'], undefined, 'eu-west-1', true],
    [['arn:aws:eks:eu-west-1:111122223333:cluster/prod', 'my-context'], undefined, 'us-east-1', false],
    [['arn:aws:eks:eu-west-1:111122223333:cluster/prod', 'my-context'], undefined, 'eu-west-1', true],
    [['arn:aws:eks:eu-west-1:111122223333:cluster/prod', 'prod'], 'prod', 'us-east-1', false],
    [['x', 'arn:aws:eks:eu-west-1:111122223333:cluster/prod'], 'prod', undefined, true],
  ])('%j for --cluster %s --region %s: %s', (names, cluster, region, expected) => {
    expect(namesEksCluster(names, cluster, region)).toBe(expected);
  });
});
