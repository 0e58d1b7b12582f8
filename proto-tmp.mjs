import { MilvusClient, DataType, FunctionType, RRFRanker } from '@zilliz/milvus2-sdk-node';
const c = new MilvusClient({ address: '127.0.0.1:19599', channelOptions: { 'grpc.keepalive_time_ms': 60000, 'grpc.keepalive_timeout_ms': 20000, 'grpc.keepalive_permit_without_calls': 0 } });
const name='proto1';
await c.dropCollection({collection_name:name}).catch(()=>{});
let r = await c.createCollection({
  collection_name: name,
  fields: [
    { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
    { name: 'path', data_type: DataType.VarChar, max_length: 1024 },
    { name: 'text', data_type: DataType.VarChar, max_length: 16384, enable_analyzer: true },
    { name: 'dense', data_type: DataType.FloatVector, dim: 4 },
    { name: 'sparse', data_type: DataType.SparseFloatVector },
  ],
  functions: [{ name: 'bm25', type: FunctionType.BM25, input_field_names: ['text'], output_field_names: ['sparse'], params: {} }],
  index_params: [
    { field_name: 'dense', index_type: 'HNSW', metric_type: 'IP', params: { M: 16, efConstruction: 200 } },
    { field_name: 'sparse', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'BM25', params: {} },
  ],
  properties: { 'askdocs.embedding_model': 'x', 'askdocs.dim': '4' },
});
console.log('create', JSON.stringify(r));
r = await c.describeCollection({collection_name:name}); console.log('describe props', JSON.stringify(r.properties), r.status.error_code);
r = await c.loadCollectionSync({collection_name:name}); console.log('load', JSON.stringify(r));
r = await c.upsert({collection_name:name, data:[
 {id:'a', path:'faq.md', text:'Milvus stores data in object storage and etcd metadata', dense:[1,0,0,0]},
 {id:'b', path:'faq.md', text:'partition key hashes entities', dense:[0,1,0,0]},
 {id:'c', path:'idx.md', text:'IVF_SQ8 nlist parameter range 1 to 65536', dense:[0,0,1,0]},
]}); console.log('upsert', JSON.stringify(r.status), r.upsert_cnt);
r = await c.query({collection_name:name, filter:'path in ["faq.md"]', output_fields:['id','path'], limit: 100}); console.log('query', JSON.stringify(r.data), r.status.error_code);
r = await c.query({collection_name:name, filter:'', output_fields:['count(*)']}); console.log('count', JSON.stringify(r.data));
r = await c.search({collection_name:name, data:[{anns_field:'dense', data:[0.9,0.1,0,0], params:{ef:64, metric_type:'IP'}}, {anns_field:'sparse', data:'where is data stored', params:{metric_type:'BM25'}}], rerank: RRFRanker(60), limit:3, output_fields:['id','path','text'], metric_type: 'IP'});
console.log('hybrid', r.status.error_code, r.status.reason, JSON.stringify(r.results.map(x=>[x.id,x.score])));
r = await c.search({collection_name:name, data:'nlist IVF_SQ8', anns_field:'sparse', limit:3, output_fields:['id'], metric_type:'BM25'});
console.log('bm25', r.status.error_code, JSON.stringify(r.results));
r = await c.search({collection_name:name, data:[1,0,0,0], anns_field:'dense', limit:3, output_fields:['id'], metric_type:'IP'});
console.log('dense', r.status.error_code, JSON.stringify(r.results));
r = await c.delete({collection_name:name, filter:'id in ["b"]'}); console.log('delete', JSON.stringify(r.status), r.delete_cnt);
r = await c.query({collection_name:name, filter:'id != ""', output_fields:['id'], limit: 100, offset: 0}); console.log('after del', JSON.stringify(r.data));
r = await c.getVersion(); console.log('version', JSON.stringify(r));
r = await c.checkHealth(); console.log('health', JSON.stringify(r));
r = await c.alterCollectionProperties?.({collection_name:name, properties:{'askdocs.x':'1'}}); console.log('alter', JSON.stringify(r));
r = await c.hasCollection({collection_name:'nope'}); console.log('has', JSON.stringify(r));
process.exit(0);
